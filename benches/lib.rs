//! Nothing here: the benchmarks are `peers.rs` (`cargo bench -p agen-benches`)
//! and `callgrind.sh`.
