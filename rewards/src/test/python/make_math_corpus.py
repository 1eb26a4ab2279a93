"""Writes math_corpus.jsonl: (response, reference) pairs in GSM8K/MATH answer formats for
MathVerifyTest. Seeded, so re-running reproduces the committed file. Each row has a `kind`
naming the format it exercises; rows the `math` reward and math-verify score differently carry
`known` (a category documented in rewards/README.md), added by hand after measuring."""
import json
import random
import sys

rng = random.Random(23)
rows = []


def add(kind, response, reference):
    rows.append({"kind": kind, "response": response, "reference": reference})


def wrong(n):
    return n + rng.choice([-3, -2, -1, 1, 2, 5, 10])


names = ["Tom", "Ana", "Raj", "Mia", "Li", "Sam"]
items = ["apples", "books", "marbles", "cookies", "pencils"]

# GSM8K: chain of thought ending in "#### n"; right, wrong and with thousands separators.
for _ in range(40):
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    n, who, it = a * b, rng.choice(names), rng.choice(items)
    ans = n if rng.random() < 0.7 else wrong(n)
    text = f"{who} buys {a} boxes of {b} {it}. {a} * {b} = <<{a}*{b}={ans}>>{ans} {it}.\n#### {ans}"
    add("gsm8k_hash", text, str(n))
for _ in range(12):
    n = rng.randint(1000, 2_000_000)
    ans = n if rng.random() < 0.75 else wrong(n)
    add("gsm8k_hash_thousands", f"So the total is {ans:,} dollars.\n#### {ans:,}", str(n))

# "The answer is ..." with units, periods, dollars, LaTeX.
for _ in range(30):
    n = rng.randint(-50, 500)
    ans = n if rng.random() < 0.7 else wrong(n)
    form = rng.choice(["The answer is {}.", "The answer is {} {}.", "So the answer is ${}$.",
                       "Therefore, the final answer is {}.", "Answer: {}", "the answer is: {}"])
    add("answer_is", "Let me work it out step by step.\n" + form.format(ans, rng.choice(items)), str(n))

# \boxed integers, negative numbers, nested braces, \text units.
for _ in range(40):
    n = rng.randint(-200, 200)
    ans = n if rng.random() < 0.7 else wrong(n)
    form = rng.choice(["\\boxed{{{}}}", "$\\boxed{{{}}}$", "\\[\\boxed{{{}}}\\]",
                       "\\boxed{{{}\\text{{ cm}}}}", "\\boxed{{{}^\\circ}}", "\\boxed{{\\text{{{}}}}}"])
    add("boxed_int", "We compute carefully. Thus $x = " + str(ans) + "$ and\n" + form.format(ans), str(n))

# Fractions in every spelling, against fraction, decimal or a/b references.
for _ in range(50):
    q = rng.randint(2, 12)
    p = rng.randint(1, 3 * q)
    sign = "-" if rng.random() < 0.2 else ""
    pp, qq = (p, q) if rng.random() < 0.75 else (p + 1, q)
    resp = rng.choice(["\\frac{{{}}}{{{}}}", "\\dfrac{{{}}}{{{}}}", "\\tfrac{{{}}}{{{}}}", "{}/{}"]).format(pp, qq)
    if sign and not resp.startswith("-"):
        resp = "-" + resp
    ref = rng.choice(["\\frac{{{}}}{{{}}}", "{}/{}"]).format(p * 2, q * 2)
    add("fraction", f"Simplifying, the probability is $\\boxed{{{resp}}}$.", sign + ref)
for _ in range(10):
    d = rng.choice([2, 4, 5, 8])
    p = rng.randint(1, d - 1)
    w = rng.randint(1, 5)
    add("mixed_number", f"$\\boxed{{{w}\\frac{{{p}}}{{{d}}}}}$", str(w + p / d))

# Decimals: trailing zeros, rounding near misses, against fractions.
for _ in range(40):
    x = round(rng.uniform(-100, 100), rng.choice([1, 2, 3]))
    form = rng.choice(["{}", "{}0", "{:.4f}"])
    resp = form.format(x)
    kind = "decimal"
    ref = str(x)
    r = rng.random()
    if r < 0.2:
        resp, kind = f"{x + 0.01:.2f}", "decimal_near_miss"
    elif r < 0.3:
        resp, kind = f"{x + 1e-7:.7f}", "decimal_within_rounding"
    add(kind, f"The result is \\boxed{{{resp}}}", ref)
for q in [3, 6, 7, 9, 11, 12]:
    p = rng.randint(1, q - 1)
    for digits in [2, 4, 6, 8]:
        add("decimal_vs_fraction", f"\\boxed{{{p / q:.{digits}f}}}", f"\\frac{{{p}}}{{{q}}}")
for n in [3, 7, 12, 40, 100]:
    add("trailing_zero", f"The answer is {n}.0", str(n))
    add("trailing_zero", f"#### {n}.00", str(n))

# Percentages: p% against p, p/100 and p\%.
for _ in range(24):
    p = rng.randint(1, 99)
    resp = rng.choice(["{}\\%", "{}%", "{} percent"]).format(p)
    ref = rng.choice([str(p), str(p / 100), f"{p}\\%"])
    if rng.random() < 0.25:
        ref = str(p + 1)
    add("percent", f"The discount is \\boxed{{{resp}}}", ref)
    add("percent_text", f"So {p} out of 100, i.e. the answer is {resp}.", ref)

# Money: $ signs, \$ in LaTeX, cents, thousands.
for _ in range(24):
    c = rng.randint(100, 500000)
    x = c / 100
    ans = x if rng.random() < 0.75 else x + 1
    resp = rng.choice(["\\boxed{{\\${:,.2f}}}", "The answer is ${:,.2f}.", "#### {:.2f}",
                       "She pays \\${:,.2f} in total.", "#### ${:,.2f}"]).format(ans)
    add("money", resp, f"{x:g}" if x == int(x) else f"{x:.2f}")

# LaTeX around the answer: \left( \right), \text{}, \!, \, spaces, \mathrm.
for _ in range(20):
    n = rng.randint(1000, 99999)
    s = f"{n:,}"
    resp = rng.choice([s.replace(",", "{,}"), s.replace(",", "\\!"), s.replace(",", "\\,"),
                       f"\\left( {n} \\right)", f"\\text{{{n}}}", f"\\mathrm{{{n}}}", f" {n} "])
    add("latex", f"Hence $\\boxed{{{resp}}}$.", str(n))

# Last number fallback: no box, no ####, no "answer".
for _ in range(20):
    a, b = rng.randint(1, 99), rng.randint(1, 99)
    ans = a + b if rng.random() < 0.7 else a + b + 1
    add("last_number", f"First {a}, then add {b} to get {ans}", str(a + b))

# Several answers: the last box counts; a box wins over a trailing number.
for _ in range(10):
    a, b = rng.randint(1, 50), rng.randint(51, 99)
    add("multi_box", f"First try \\boxed{{{a}}}. Correction: \\boxed{{{b}}}", str(b))
    add("box_then_text", f"\\boxed{{{b}}} because {a} is too small", str(b))

# Symbolic answers our reward compares as normalised text.
for expr in ["x^2+1", "2\\sqrt{3}", "\\pi", "3\\sqrt{2}", "(1,2)", "x+y", "\\frac{\\sqrt{3}}{2}", "2\\pi"]:
    add("symbolic", f"\\boxed{{{expr}}}", expr)
for a, b in [("2x", "x*2"), ("\\sqrt{12}", "2\\sqrt{3}"), ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}"),
             ("y+x", "x+y"), ("(2, 1)", "(1,2)"), ("1+\\sqrt{2}", "\\sqrt{2}+1")]:
    add("symbolic_equivalent", f"\\boxed{{{a}}}", b)

# Harder MATH-style endings: an answer sentence and a box, text after the answer, fractions in
# running text, negatives in \\left( \\right), mixed units, big integers.
for _ in range(8):
    a, b = rng.randint(1, 40), rng.randint(41, 90)
    add("answer_is_and_box", f"The answer is {a}. Checking again, \\boxed{{{b}}}", str(b))
    add("answer_is_and_box", f"\\boxed{{{b}}}. The answer is {b} apples.", str(b))
for _ in range(8):
    p, q = rng.randint(1, 9), rng.randint(10, 19)
    add("fraction_in_text", f"The probability is {p}/{q}.", f"\\frac{{{p}}}{{{q}}}")
    add("fraction_in_text", f"So it comes to $\\frac{{{p}}}{{{q}}}$ overall", f"{p}/{q}")
for _ in range(8):
    n = rng.randint(1, 99)
    add("negative_latex", f"$\\boxed{{\\left(-{n}\\right)}}$", f"-{n}")
    add("negative_latex", f"$\\boxed{{-\\dfrac{{{n}}}{{{n + 1}}}}}$", f"\\frac{{-{n}}}{{{n + 1}}}")
for _ in range(6):
    n = rng.randint(10**12, 10**15)
    add("big_integer", f"#### {n}", str(n))
    add("big_integer", f"#### {n + 1}", str(n))

# No answer at all.
for t in ["I am not sure.", "Let me think about it more.", "\\boxed{}"]:
    add("no_answer", t, "5")



def known(row):
    """The documented category of a row where the math reward and math-verify 0.9.0 differ."""
    resp, ref, kind = row["response"], row["reference"], row["kind"]
    if kind == "symbolic_equivalent" and "(" not in resp:
        return "symbolic_equivalence"  # math-verify simplifies with sympy; we compare text
    if "\\$" in resp and "\\boxed" not in resp and f"{float(ref):,.2f}" in resp:
        return "escaped_dollar_in_text"  # math-verify extracts nothing after a plain-text \$
    if "\\boxed" in resp and "\\," in resp:
        return "thin_space_thousands"  # math-verify reads 47\,747 as 47 + 747
    if kind == "percent_text" and "\\%" in resp and "." in ref and f" {round(float(ref) * 100)}\\%" in resp:
        return "percent_sign_in_text"  # math-verify reads 46\% outside LaTeX as 46, not 46/100
    if kind == "fraction_in_text" and resp == "The probability is 7/10.":
        # math-verify reads "7/10." as 7/10.0, a float, and then rejects it for some p/q (measured
        # for q < 30: 73 of 406 such pairs, 3/5 and 7/10 among them); this corpus has one.
        return "period_after_fraction_in_text"
    return None


for r in rows:
    k = known(r)
    if k:
        r["known"] = k
out = sys.argv[1] if len(sys.argv) > 1 else "math_corpus.jsonl"
with open(out, "w") as f:
    for i, r in enumerate(rows):
        f.write(json.dumps({"id": i, **r}, ensure_ascii=False) + "\n")
print(len(rows), "rows")
