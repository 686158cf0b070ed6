"""The five RNN-T searches, each as published, over a SearchContext (so the same code yields the simulator's
schedule and drives the real numpy decoder).

T = encoder frames, B = beam, S = max labels per frame (`max_symbols`), k = min(B, V - 1) label candidates
per scored hypothesis, V = vocabulary incl. blank. "Call" = one joint call (a DecodeStep); the prediction
network runs, batched, on the new label histories of the hypotheses a call scores (cached by label sequence).
"""

from __future__ import annotations

import numpy as np

from hwsim.decode.context import (BLANK, History, Hyp, SearchContext, best, log_add_merge, merge_blanks_into,
                                  top_candidates)


def greedy(ctx: SearchContext, beam: int, max_symbols: int) -> list[Hyp]:
    """Greedy decoding with up to S labels per frame (NeMo `GreedyRNNTInfer`, torchaudio greedy style).

    Per frame: joint on the one hypothesis; a label extends it and the joint runs again on the same frame
    (its new history predicted first); blank or the S-th label moves to the next frame.
    Calls = T + labels - (frames that reached S labels), rows 1 each; prediction rows = labels + 1 (the
    start symbol) less a label emitted on the last frame's last call (never scored).
    """
    hyp = Hyp((BLANK,), 0.0)
    for t in range(ctx.frames):
        hyp.frame, hyp.in_frame = t, 0
        while hyp.in_frame < max_symbols:
            s = ctx.score([hyp], 1)
            if s.blank[0] >= s.label_logp[0, 0]:
                break
            hyp = hyp.extend(int(s.labels[0, 0]), float(s.label_logp[0, 0]))
    return [hyp]


def beam(ctx: SearchContext, beam: int, max_symbols: int) -> list[Hyp]:
    """Standard RNN-T beam search (Graves 2012, Alg. 1; ESPnet `default_beam_search`, torchaudio `RNNTBeamSearch`).

    Per frame: A = hypotheses carried in, kept = {}; repeat: pop the best of A, one joint call on it (1 row),
    add its blank extension to kept and its k label extensions to A (none once it has S labels in this
    frame), until kept holds B hypotheses better than the best left in A (or A is empty). Kept hypotheses
    with equal histories are log-added and the best B carried on (torchaudio prunes to B; ESPnet keeps all
    above the threshold). Calls per frame are data dependent, >= B once the beam is full; rows 1 per call.
    """
    k = min(beam, ctx.vocab - 1)
    carried = [Hyp((BLANK,), 0.0)]
    for t in range(ctx.frames):
        pending, kept = list(carried), []
        for h in pending:
            h.frame, h.in_frame = t, 0
        pending_scores = [h.score for h in pending]  # kept beside `pending`, item for item
        while pending:
            top = pending_scores.index(max(pending_scores))  # the first best, as max(key=score) picks
            hyp = pending.pop(top)
            del pending_scores[top]
            s = ctx.score([hyp], k)
            kept.append(hyp.blank(s.blank[0].item()))
            if hyp.in_frame < max_symbols:
                extensions = [hyp.extend(label, logp)
                              for label, logp in zip(s.labels[0, :k].tolist(), s.label_logp[0, :k].tolist())]
                pending += extensions
                pending_scores += [h.score for h in extensions]
            if pending:
                threshold = max(pending_scores)
                if sum(h.score > threshold for h in kept) >= beam:
                    break
        carried = best(log_add_merge(kept), beam)
    return carried


def time_synchronous(ctx: SearchContext, beam: int, max_symbols: int) -> list[Hyp]:
    """Time-synchronous decoding, TSD (Saon, Tuske, Audhkhasi, ICASSP 2020; ESPnet `time_sync_decoding`).

    Per frame: A = {}, C = the B hypotheses carried in; S + 1 rounds (ESPnet's `max_sym_exp` = S + 1): one
    joint call over all of C (prediction network first on C's new histories); C's blank extensions merge
    into A (equal histories log-added); in rounds 0 .. S-1, C = the best B of C's k label extensions each.
    Then carry the best B of A. Calls per frame = S + 1 always; rows = |C| (1 on frame 0's first round,
    then B once the beam is full); prediction rows per frame <= S x B, less cache hits.
    """
    k = min(beam, ctx.vocab - 1)
    carried = [Hyp((BLANK,), 0.0)]
    for t in range(ctx.frames):
        ended: dict[History, Hyp] = {}
        scored = carried
        for h in scored:
            h.frame = t
        for round_ in range(max_symbols + 1):
            s = ctx.score(scored, k)
            merge_blanks_into(ended, scored, s.blank.tolist())
            if round_ < max_symbols:
                scored = top_candidates(scored, s, beam, blanks=False)
        carried = best(list(ended.values()), beam)
    return carried


def alignment_length_synchronous(ctx: SearchContext, beam: int, max_symbols: int) -> list[Hyp]:
    """Alignment-length synchronous decoding, ALSD (Saon et al. 2020; ESPnet `align_length_sync_decoding`).

    Step i = 0 .. T + U_max - 1: the hypotheses with frame t = i - u < T form one joint call (t differs per
    row); each yields its blank extension (t + 1) and k label extensions (t stays; none once it has S labels
    in frame t, so U_max <= S x T); keep the best B, recombining equal histories; blank extensions from
    t = T - 1 are final. Calls = steps with a non-empty batch, between T and T + U_max; rows <= B each.
    """
    k = min(beam, ctx.vocab - 1)
    live, final = [Hyp((BLANK,), 0.0)], []
    for _ in range(ctx.frames * (max_symbols + 1)):
        live = [h for h in live if h.frame < ctx.frames]
        if not live:
            break
        s = ctx.score(live, k)
        allowed = np.fromiter((h.in_frame < max_symbols for h in live), bool, len(live))
        final += [h.blank(float(s.blank[i])) for i, h in enumerate(live) if h.frame == ctx.frames - 1]
        live = log_add_merge(top_candidates(live, s, beam, blanks=True, label_ok=allowed))
    return best(log_add_merge(final), beam) if final else best(live, beam)


def modified_beam(ctx: SearchContext, beam: int, max_symbols: int) -> list[Hyp]:
    """Modified beam search (k2/icefall `modified_beam_search`, sherpa's streaming default): <= 1 label per frame.

    Per frame: one joint call over the B hypotheses (prediction network first on their new histories, batched);
    the best B of all B x V one-symbol extensions (blank keeps the history) survive, equal histories
    log-added. Calls = T; rows = |B| (1 on frame 0); prediction rows per frame = hypotheses that took a new
    label on the previous frame, less cache hits. `max_symbols` does not apply (it is 1 by construction).
    """
    k = min(beam, ctx.vocab - 1)
    live = [Hyp((BLANK,), 0.0)]
    for t in range(ctx.frames):
        for h in live:
            h.frame = t
        s = ctx.score(live, k)
        live = log_add_merge(top_candidates(live, s, beam, blanks=True))
    return best(live, beam)
