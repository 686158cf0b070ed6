"""A hand-made CallCosts with round numbers, for engine tests independent of any device."""

from hwsim.cost.segments import Segment


class FakeCosts:
    def __init__(self, encoder_per_frame_s=1e-3, prediction_s=2e-4, joint_per_row_s=1e-5, search_per_hyp_s=5e-6,
                 transfer_s=1e-6, hmm_per_frame_s=1e-4):
        self.e, self.p, self.j, self.s, self.t, self.h = (encoder_per_frame_s, prediction_s, joint_per_row_s,
                                                          search_per_hyp_s, transfer_s, hmm_per_frame_s)

    def encoder(self, frames, exclusive=False):
        return (Segment("matrix", "encoder", frames * self.e * 0.8, "encoder.gemm"),
                Segment("vector", "encoder", frames * self.e * 0.2, "encoder.gates"))

    def prediction(self, rows):
        return (Segment("matrix", "prediction", self.p, "predictor"),)

    def joint(self, rows):
        return (Segment("matrix", "joint", rows * self.j, "joint"),)

    def transfer(self, rows):
        return (Segment("link", "transfer", self.t, "logits"),)

    def search(self, hyps):
        return (Segment("cpu", "search", hyps * self.s, "topk"),)

    def hmm_search(self, frames):
        return (Segment("cpu", "hmm_search", frames * self.h, "wfst"),)


def serial_sum(costs, shape, schedule, exclusive=False):
    """Sum of every segment one utterance runs: what a fully serialised simulation must total."""
    total = sum(s.duration_s for n, _ in shape.chunks() for s in costs.encoder(n, exclusive))
    for step in schedule.steps:
        parts = list(costs.joint(step.joint_rows)) + list(costs.transfer(step.joint_rows)) + list(costs.search(step.hyps))
        if step.prediction_rows:
            parts += list(costs.prediction(step.prediction_rows))
        total += sum(s.duration_s for s in parts)
    return total
