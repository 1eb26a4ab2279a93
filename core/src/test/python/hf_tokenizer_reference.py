"""Reference ids for HfTokenizerTest, from the Python `tokenizers` package.

  hf_tokenizer_reference.py train OUT.json CORPUS.json
      trains a small byte-level BPE (GPT-2 split, digits one by one, BOS added by a
      TemplateProcessing post-processor, three special tokens) and saves its tokenizer.json.
  hf_tokenizer_reference.py encode TOKENIZER.json CORPUS.json
      prints one JSON line per corpus text: ids (default encode, special tokens added and matched),
      ids_plain (add_special_tokens=False), tokens, decoded (skip_special_tokens=True).
"""
import json
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train(out, corpus_file):
    corpus = json.load(open(corpus_file, encoding="utf-8"))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    text = corpus * 20 + ["the cat sat on the mat while the dog ran in the park"] * 50
    tok.train_from_iterator(text, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<|im_start|> $A", pair="<|im_start|> $A <|im_start|> $B",
        special_tokens=[("<|im_start|>", tok.token_to_id("<|im_start|>"))])
    tok.save(out)


def encode(tokenizer_file, corpus_file):
    tok = Tokenizer.from_file(tokenizer_file)
    for text in json.load(open(corpus_file, encoding="utf-8")):
        e = tok.encode(text)
        plain = tok.encode(text, add_special_tokens=False)
        print(json.dumps({"ids": e.ids, "ids_plain": plain.ids, "tokens": e.tokens,
                          "decoded": tok.decode(e.ids, skip_special_tokens=True)}, ensure_ascii=False))


if __name__ == "__main__":
    {"train": train, "encode": encode}[sys.argv[1]](*sys.argv[2:])
