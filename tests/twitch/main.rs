mod binary;
mod mock;
mod mock_selftest;
mod polls;
