"""NLTK reference for tokenrl's BLEU (used by tests and BleuBenchmark).

Reads one JSON request from stdin and writes one JSON answer to stdout.
  {"task": "score", "weights": [...], "candidates": [[ids]], "references": [[[ids]]],
   "corpora": [[case indices], ...]}
    -> {"sentence": {"method0": [...], ...}, "corpus": {"method0": [...], ...}}
  {"task": "time", "weights": [...], "smoothing": "method1", "candidates": ..., "references": ...}
    -> {"ms": elapsed milliseconds of the sentence_bleu loop, "scores": [...]}
"""
import json
import sys
import time
import warnings

from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu

warnings.filterwarnings("ignore")  # method0 warns on every zero-match order

METHODS = ["method0", "method1", "method2", "method3"]


def main():
    req = json.load(sys.stdin)
    weights = tuple(req["weights"])
    cands = req["candidates"]
    refs = req["references"]
    smoothing = SmoothingFunction()
    if req["task"] == "score":
        out = {"sentence": {}, "corpus": {}}
        for m in METHODS:
            fn = getattr(smoothing, m)
            out["sentence"][m] = [
                float(sentence_bleu(r, c, weights, smoothing_function=fn)) for c, r in zip(cands, refs)
            ]
            out["corpus"][m] = [
                float(corpus_bleu([refs[i] for i in idx], [cands[i] for i in idx], weights,
                                  smoothing_function=fn))
                for idx in req["corpora"]
            ]
    elif req["task"] == "time":
        fn = getattr(smoothing, req["smoothing"])
        start = time.perf_counter()
        scores = [sentence_bleu(r, c, weights, smoothing_function=fn) for c, r in zip(cands, refs)]
        ms = (time.perf_counter() - start) * 1000.0
        out = {"ms": ms, "scores": [float(s) for s in scores]}
    else:
        raise ValueError("unknown task " + req["task"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
