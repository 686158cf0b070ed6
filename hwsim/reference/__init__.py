"""numpy reference inference of LSTM RNN-T workloads (encoder, prediction network, joint, beam search)."""
