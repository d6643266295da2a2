"""Expression tree -> exact answer with sympy, within limits on size and time.

Sympy objects are built node by node from the tree (never from strings). Before a power is
computed its size is estimated from logarithms, so towers such as 9^9^9^9 are refused at once;
after every operation the exact numbers in the result are checked against MAX_RESULT_DIGITS and
the powers of x against MAX_X_DEGREE. Time: a cooperative deadline (TIME_BUDGET_SECONDS) is
checked between steps; a single sympy call cannot be interrupted, which is why the size limits
come first and keep every single call small.

Real numbers only: an odd root of a negative number is real (``(-8)^(1/3) = -2``), an even one
is an error. Equations are solved when, after moving everything to one side and combining
fractions, the numerator is a polynomial in x of degree at most MAX_EQUATION_DEGREE; values of x
where any divisor is zero are excluded.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import mpmath
import sympy

from recognizer.grammar import (
    BinaryOp,
    Equation,
    Negate,
    Node,
    Number,
    Root,
    System,
    Variable,
    canonical,
    parse,
    strip_question,
    tokenize,
    unknowns,
    written,
)
from recognizer.types import ExpressionError, MathError, RecognizerError, Solution

# Python refuses to print integers over 4300 digits, and a Telegram message holds 4096 chars.
MAX_RESULT_DIGITS = 4000
# sympy simplifies the n-th root of a number b by partly factoring b and powers of b up to
# b^(n-1), then testing the cofactor for primality: ~0.1 s at 600 digits, seconds past 1000.
MAX_ROOT_WORK_DIGITS = 600
MAX_FACTORED_DIGITS = 15  # sympy.roots factors coefficients: instant at 15 digits, ECM beyond
MAX_X_DEGREE = 16  # while building; keeps expanding and cancelling polynomials cheap
MAX_EQUATION_DEGREE = 4
MAX_EXACT_ROOT_CHARS = 120  # longer exact solutions (cubic/quartic formulas) are shown as decimals
# Only expand numeric expressions this small when simplifying ((1+2^0.5)^2 -> 3 + 2*sqrt(2)).
MAX_EXPAND_OPS = 60
MAX_EXPAND_POWER = 64
TIME_BUDGET_SECONDS = 2.0
SIGNIFICANT_DIGITS = 15  # working precision of numeric checks
SHOWN_DIGITS = 10  # significant digits of a decimal shown to a person

X = sympy.Symbol("x")
Y = sympy.Symbol("y")  # only in systems: one equation in y alone is solved as if in x
_LINEAR_ONLY = "I can only solve systems of linear equations in x and y"
_LOG10_2 = math.log10(2)
_TOO_LARGE = "the result is too large to compute"
_RADICAL_DEGREE = "when a coefficient is a root, I can only solve equations up to degree 2"
_INDEX_CAP = 10**9  # root indices above this are refused anyway; keeps float products finite
_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


@dataclass(frozen=True)
class Answer:
    result: str  # "14", "7/2", "x = -1, x = 3", "no solution", "true"...
    approximation: str | None = None  # decimal(s) when the exact value is not an integer


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise MathError("the calculation takes too long")


class _Builder:
    """Converts a tree to sympy, checking limits and remembering divisors that contain x."""

    def __init__(self, deadline: _Deadline, symbols: dict[str, sympy.Symbol]) -> None:
        self.deadline = deadline
        self.symbols = symbols  # each unknown's sympy symbol
        self.divisors: list[sympy.Expr] = []
        self.saw_x = False  # x may cancel out (x = x + 1), the equation is still about x

    def build(self, node: Node) -> sympy.Expr:
        self.deadline.check()
        match node:
            case Number(value=value):
                return sympy.Rational(value.numerator, value.denominator)
            case Variable(name=name):
                self.saw_x = True
                return self.symbols[name]
            case Negate(operand=operand):
                return -self.build(operand)
            case Root(radicand=radicand):
                radicand = self.build(radicand)
                if radicand.has(X, Y):
                    raise MathError("I can't work with an unknown under √ yet")
                result = self._power(radicand, sympy.Rational(1, 2))
                _check_size(result)
                return result
            case BinaryOp(op=op, left=left, right=right):
                result = self._apply(op, self.build(left), self.build(right))
                _check_size(result)
                return result
        raise TypeError(f"cannot build {node!r} inside an expression")

    def _apply(self, op: str, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op in "*/":
            _check_root_work(_root_work([left, right]))  # sympy merges roots when multiplying
        if op == "*":
            return left * right
        if op == "/":
            if _is_zero(right):
                raise MathError("division by zero")
            if right.has(X, Y):
                self.divisors.append(right)
            return left / right
        return self._power(left, right)

    def _power(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.has(X, Y):
            raise MathError("I can't work with an unknown in an exponent")
        if base.has(X, Y):
            if not exponent.is_Integer:
                raise MathError("x can only be raised to a whole-number power")
            if abs(int(exponent)) * _degree_bound(base) > MAX_X_DEGREE:
                raise MathError("the powers of x are too large")
            # Expanding multiplies the coefficients about |exponent| times over.
            if abs(int(exponent)) * _largest_digits(base) > MAX_RESULT_DIGITS:
                raise MathError(_TOO_LARGE)
            if exponent.is_negative:
                self.divisors.append(base)
            return base**exponent
        if _is_zero(base):
            if _is_zero(exponent):
                return sympy.Integer(1)
            if exponent.is_negative:
                raise MathError("division by zero")
            return sympy.Integer(0)
        if exponent.is_Rational:
            index = min(exponent.q, _INDEX_CAP)
            own_work = 0 if exponent.is_Integer else _largest_digits(base) * index
            _check_root_work(own_work + _root_work([base], index))
        if _power_digits(base, exponent) > MAX_RESULT_DIGITS:
            raise MathError(_TOO_LARGE)
        if base.is_negative and not exponent.is_Integer:
            if exponent.is_Rational and exponent.q % 2 == 1:
                magnitude = sympy.Pow(-base, exponent)
                return -magnitude if exponent.p % 2 else magnitude
            if exponent.is_Rational:
                raise MathError("an even root of a negative number is not a real number")
            raise MathError("a negative number to this power is not a real number")
        return sympy.Pow(base, exponent)


def _power_digits(base: sympy.Expr, exponent: sympy.Expr) -> mpmath.mpf:
    """Roughly how many digits the exact form of base^exponent needs."""
    return abs(_to_mpf(exponent)) * _exact_digits(base)


def _exact_digits(value: sympy.Expr) -> float:
    """Digits of the exact numbers in value, as powers distribute over them.

    sympy distributes a power over a product ((3·2^(1/2)/7)^n = 3^n·2^(n/2)/7^n), so all
    the numbers in the base grow with the exponent.
    """
    if value.is_Rational:
        return max(math.log10(abs(value.p)), math.log10(value.q))
    if value.is_Pow and value.exp.is_Rational:
        return _exact_digits(value.base) * abs(float(value.exp))
    return sum(_exact_digits(part) for part in value.args)


def _root_work(values: Sequence[sympy.Expr], outer_index: int = 1) -> float:
    """Digits sympy may have to factor for the roots of numbers in values, raised to 1/outer_index.

    Products merge roots of the same number (b^(1/2)·b^(1/3) = b^(5/6), so the root indices of
    one number combine by lcm) and roots of the same index (2^(1/3)·3^(1/3) = 6^(1/3), so the
    digits of different numbers add up).
    """
    indices: dict[sympy.Expr, int] = {}
    for value in values:
        for power in value.atoms(sympy.Pow):
            exponent = power.exp
            if power.base.is_Rational and exponent.is_Rational and not exponent.is_Integer:
                index = math.lcm(indices.get(power.base, 1), exponent.q)
                indices[power.base] = min(index, _INDEX_CAP)
    return sum(_largest_digits(base) * index * outer_index for base, index in indices.items())


def _check_root_work(digits: float) -> None:
    if digits > MAX_ROOT_WORK_DIGITS:
        raise MathError("this root is too hard to compute exactly")


def _to_mpf(value: sympy.Expr) -> mpmath.mpf:
    return mpmath.mpf(sympy.re(sympy.N(value, SIGNIFICANT_DIGITS + 5)))


def _largest_digits(value: sympy.Expr) -> float:
    """Digits of the longest numerator or denominator among the exact numbers in value."""
    bits = (max(abs(n.p).bit_length(), n.q.bit_length()) for n in value.atoms(sympy.Rational))
    return max(bits, default=0) * _LOG10_2


def _check_size(value: sympy.Expr) -> None:
    if _largest_digits(value) > MAX_RESULT_DIGITS:
        raise MathError(_TOO_LARGE)
    if _degree_bound(value) > MAX_X_DEGREE:
        raise MathError("the powers of x are too large")


def _degree_bound(value: sympy.Expr) -> int:
    """An upper bound on the degree in x of numerator plus denominator, without expanding."""
    if not value.has(X, Y):
        return 0
    if value in (X, Y):
        return 1
    if value.is_Pow and value.exp.is_Integer:
        return abs(int(value.exp)) * _degree_bound(value.base)
    if value.is_Add:
        return max(_degree_bound(term) for term in value.args)
    if value.is_Mul:
        return sum(_degree_bound(factor) for factor in value.args)
    return MAX_X_DEGREE + 1  # anything else with x in it is beyond what we solve


def _simplest(value: sympy.Expr) -> sympy.Expr:
    """The simplest exact form we can get cheaply: fractions cancelled, radicals expanded."""
    if value.is_Rational:
        return value
    if value.has(X, Y):
        return sympy.cancel(value)
    if sympy.count_ops(value) > MAX_EXPAND_OPS or _largest_power(value) > MAX_EXPAND_POWER:
        return value
    expanded = sympy.radsimp(sympy.expand(value))
    return expanded if sympy.count_ops(expanded) <= sympy.count_ops(value) else value


def _largest_power(value: sympy.Expr) -> int:
    """The largest whole-number power in a numeric expression: expanding costs that many terms."""
    powers = [abs(int(p.exp)) for p in value.atoms(sympy.Pow) if p.exp.is_Integer]
    return max(powers, default=0)


def _is_zero(value: sympy.Expr) -> bool:
    simplest = _simplest(value)
    if simplest.is_Rational or simplest.has(X, Y):
        return simplest == 0
    known = simplest.is_zero
    if known is not None:
        return known
    return abs(_to_mpf(simplest)) < mpmath.mpf(10) ** (-3 * SIGNIFICANT_DIGITS)


def _decimal(value: sympy.Expr) -> str:
    if value.is_Integer:
        return str(value)
    # nstr writes a value that rounds to a whole number as "6172839451.0"; after ≈ that .0 would
    # claim a digit that was rounded away.
    return re.sub(r"\.0(?=e|$)", "", mpmath.nstr(_to_mpf(value), SHOWN_DIGITS))


def _value_answer(value: sympy.Expr) -> Answer:
    value = _simplest(value)
    _check_size(value)  # cancelling fractions of x can make coefficients grow
    if value.has(*_UNDEFINED):
        raise MathError("division by zero")
    if value.has(X):
        return Answer(str(value))
    if value.is_real is False:
        raise MathError("the result is not a real number")
    return Answer(str(value), None if value.is_Integer else _decimal(value))


@dataclass(frozen=True)
class _Root:
    exact: sympy.Expr  # may be a CRootOf: a root known only as "the k-th root of p"
    value: mpmath.mpf  # real part, for sorting and decimals

    def shown(self) -> str:
        text = str(self.exact)
        if self.exact.has(sympy.I, sympy.CRootOf) or len(text) > MAX_EXACT_ROOT_CHARS:
            return f"x ≈ {_decimal(self.exact)}"
        return f"x = {text}"


def _real_roots(polynomial: sympy.Poly) -> list[_Root]:
    """Real roots, ascending, of a polynomial in x of degree 1..MAX_EQUATION_DEGREE.

    Degrees 1 and 2 use the school formulas. For degrees 3 and 4 (rational coefficients only),
    which roots are real and their values come from exact real-root isolation; closed forms
    come from sympy.roots without the general quartic formula, which is huge and slow to
    evaluate (such roots are shown as decimals).
    """
    degree = polynomial.degree()
    # The formulas take square and cube roots of numbers about 2*(degree-1) times as long as
    # the coefficients.
    if _largest_digits(polynomial.as_expr()) * 4 * (degree - 1) > MAX_ROOT_WORK_DIGITS:
        raise MathError("the numbers in this equation are too long to solve it exactly")
    if degree <= 2:
        found = [_simplest(root) for root in _school_formula_roots(polynomial)]
        if any(_largest_digits(root) > MAX_RESULT_DIGITS for root in found):
            raise MathError(_TOO_LARGE)  # -b/a has up to twice the digits of a and b
        return sorted((_Root(root, _to_mpf(root)) for root in found), key=lambda r: r.value)
    if not _has_rational_coefficients(polynomial):
        raise MathError(_RADICAL_DEGREE)
    try:
        real = set(polynomial.real_roots())
        # sympy.roots factors the coefficients into primes first, affordable only when short.
        short_coefficients = _largest_digits(polynomial.as_expr()) <= MAX_FACTORED_DIGITS
        closed_forms = (
            sympy.roots(polynomial, trig=True, quartics=False) if short_coefficients else {}
        )
    except (sympy.PolynomialError, NotImplementedError) as error:
        raise MathError("I could not solve this equation") from error
    short = [
        root
        for root in closed_forms
        if not root.has(sympy.I) and len(str(root)) <= MAX_EXACT_ROOT_CHARS
    ]
    found = [_Root(_closed_form(root, short), _to_mpf(root)) for root in real]
    return sorted(found, key=lambda root: root.value)


def _has_rational_coefficients(polynomial: sympy.Poly) -> bool:
    return polynomial.domain.is_ZZ or polynomial.domain.is_QQ


def _school_formula_roots(polynomial: sympy.Poly) -> list[sympy.Expr]:
    """Real roots of a polynomial of degree 1 or 2.

    sympy.roots would factor the coefficients into primes (seconds for 40 digits) and call
    simplify() on coefficients with radicals.
    """
    coefficients = polynomial.all_coeffs()
    if len(coefficients) == 2:
        slope, intercept = coefficients
        return [-intercept / slope]
    a, b, c = coefficients
    discriminant = _simplest(b**2 - 4 * a * c)
    if _is_zero(discriminant):
        return [-b / (2 * a)]
    if not discriminant.is_positive:
        return []
    return [(-b - sympy.sqrt(discriminant)) / (2 * a), (-b + sympy.sqrt(discriminant)) / (2 * a)]


def _closed_form(root: sympy.Expr, candidates: Sequence[sympy.Expr]) -> sympy.Expr:
    """The candidate equal to a CRootOf root (matched numerically), else the root itself."""
    if not isinstance(root, sympy.CRootOf):
        return _simplest(root)
    value = _to_mpf(root)
    for candidate in candidates:
        if abs(_to_mpf(candidate) - value) <= 10**-SIGNIFICANT_DIGITS * (1 + abs(value)):
            return _simplest(candidate)
    return root


def _polynomial(value: sympy.Expr) -> sympy.Poly:
    try:
        return sympy.Poly(sympy.expand(value), X)
    except sympy.PolynomialError as error:
        raise MathError("I can only solve equations with whole-number powers of x") from error


def _zeros_of(divisor: sympy.Expr) -> sympy.Poly:
    """A polynomial whose roots are the values of x where divisor is zero."""
    return _polynomial(sympy.fraction(sympy.together(divisor))[0])


def _without_zeros_of(polynomial: sympy.Poly, zeros: Sequence[sympy.Poly]) -> sympy.Poly:
    """polynomial with every root it shares with one of zeros divided out."""
    for divisor_zeros in zeros:
        common = polynomial.gcd(divisor_zeros)
        while common.degree() > 0:
            polynomial = polynomial.quo(common)
            common = polynomial.gcd(divisor_zeros)
    return polynomial


def _undefined_at(root: _Root, divisors: Sequence[sympy.Expr]) -> bool:
    for divisor in divisors:
        value = divisor.subs(X, root.exact)
        if value.has(*_UNDEFINED) or _is_zero(value):
            return True
    return False


def _any_x(divisors: Sequence[sympy.Expr]) -> str:
    """'any x', naming the values where a divisor is zero."""
    excluded: dict[sympy.Expr, _Root] = {}
    for divisor in divisors:
        numerator = _zeros_of(divisor)
        if numerator.degree() > MAX_EQUATION_DEGREE:
            return "any x where the expression is defined"
        if numerator.degree() > 0:
            excluded.update((root.exact, root) for root in _real_roots(numerator))
    if not excluded:
        return "any x"
    ordered = sorted(excluded.values(), key=lambda root: root.value)
    return "any x except " + ", ".join(root.shown() for root in ordered)


def _solve_equation(
    difference: sympy.Expr, divisors: Sequence[sympy.Expr], deadline: _Deadline
) -> Answer:
    """Solve difference = 0 for x."""
    numerator, denominator = sympy.fraction(sympy.together(difference))
    divisors = [*divisors, denominator] if denominator.has(X) else list(divisors)
    deadline.check()
    polynomial = _polynomial(numerator)
    if polynomial.is_zero:
        return Answer(_any_x(divisors))
    rational = _has_rational_coefficients(polynomial)
    if not rational and polynomial.degree() > 2:
        raise MathError(_RADICAL_DEGREE)
    # Dividing out the roots where a divisor is zero is exact, but sympy's gcds can take
    # minutes when radicals are involved: such divisors are tested at each root instead.
    zeros = [_zeros_of(divisor) for divisor in divisors]
    by_gcd = [rational and _has_rational_coefficients(z) for z in zeros]
    polynomial = _without_zeros_of(
        polynomial, [z for z, gcd in zip(zeros, by_gcd, strict=True) if gcd]
    )
    tested = [d for d, gcd in zip(divisors, by_gcd, strict=True) if not gcd]
    degree = polynomial.degree()
    if degree > MAX_EQUATION_DEGREE:
        raise MathError(f"I can only solve equations up to degree {MAX_EQUATION_DEGREE}")
    if degree == 0:
        return Answer("no solution")
    deadline.check()
    roots = _real_roots(polynomial)
    solutions = [root for root in roots if not _undefined_at(root, tested)]
    if not solutions:
        return Answer("no solution" if roots else "no real solution")
    result = ", ".join(root.shown() for root in solutions)
    decimals = ", ".join(f"x ≈ {_decimal(root.exact)}" for root in solutions)
    exact = all(root.exact.is_Integer for root in solutions) or decimals == result
    return Answer(result, None if exact else decimals)


def _solve_chain(
    differences: Sequence[sympy.Expr], divisors: Sequence[sympy.Expr], deadline: _Deadline
) -> Answer:
    """Solve a = b = c ...: the x where every difference is zero are the roots of the gcd of
    their numerators (gcd(0, p) = p, and a non-zero number leaves no root)."""
    numerators, divisors = [], list(divisors)
    for difference in differences:
        numerator, denominator = sympy.fraction(sympy.together(difference))
        if denominator.has(X):
            divisors.append(denominator)
        numerators.append(numerator)
        deadline.check()
    try:
        common = functools.reduce(sympy.gcd, numerators)
    except sympy.PolynomialError as error:
        raise MathError("I could not solve this equation") from error
    return _solve_equation(common, divisors, deadline)


def solve(node: Node, time_budget: float = TIME_BUDGET_SECONDS) -> Answer:
    """The exact answer for a parsed expression, equation or system; raises MathError.

    An expression or equation has one unknown at most, x or y; a system may have both."""
    deadline = _Deadline(time_budget)
    if isinstance(node, System):
        return _solve_system(node, deadline)
    names = unknowns(node)
    if len(names) > 1:
        raise MathError("with both x and y I need two equations: write each on a line of its "
                        "own (or type them joined by ;)")
    name = names.pop() if names else "x"
    answer = _solve_one(node, _Builder(deadline, {name: X}), deadline)
    if name == "x":
        return answer
    # Solved as if in x: the answer names y.
    return Answer(*(re.sub(r"(?<![a-z])x(?![a-z])", name, text) if text else text
                    for text in (answer.result, answer.approximation)))


def _solve_one(node: Node, builder: _Builder, deadline: _Deadline) -> Answer:
    if isinstance(node, Equation):
        sides = [builder.build(side) for side in node.sides]
        differences = [left - right for left, right in itertools.pairwise(sides)]
        if not builder.saw_x:
            return Answer("true" if all(_is_zero(d) for d in differences) else "false")
        if len(differences) == 1:
            return _solve_equation(differences[0], builder.divisors, deadline)
        return _solve_chain(differences, builder.divisors, deadline)
    return _value_answer(builder.build(node))


def _solve_system(node: System, deadline: _Deadline) -> Answer:
    """Linear equations in x and y, solved together: one solution, none, or infinitely many
    (shown as x in terms of y)."""
    builder = _Builder(deadline, {"x": X, "y": Y})
    differences = []
    for equation in node.equations:
        left, right = (builder.build(side) for side in equation.sides)
        differences.append(sympy.expand(left - right))
        deadline.check()
    present = [s for s in (X, Y) if any(d.has(s) for d in differences)]
    if not present:
        return Answer("true" if all(_is_zero(d) for d in differences) else "false")
    if builder.divisors or any(sympy.Poly(d, *present).total_degree() > 1 for d in differences
                               if d.has(*present)):
        raise MathError(_LINEAR_ONLY)
    solutions = sympy.linsolve(differences, present)
    deadline.check()
    if solutions == sympy.EmptySet:
        return Answer("no solution")
    (values,) = solutions
    pairs = [(str(s), _simplest(v)) for s, v in zip(present, values, strict=True) if v != s]
    for _, value in pairs:
        _check_size(value)
    if len(pairs) < len(present):  # an unknown is free
        shown = ", ".join(f"{name} = {value}" for name, value in pairs)
        return Answer("infinitely many solutions" + (f": {shown}" if shown else ""))
    result = ", ".join(f"{name} = {value}" for name, value in pairs)
    if all(value.is_Integer for _, value in pairs):
        return Answer(result)
    return Answer(result, ", ".join(f"{name} ≈ {_decimal(value)}" for name, value in pairs))


def is_system(first: str | None, second: str | None, braced: bool = False) -> bool:
    """Are two lines (canonical expressions) the equations of one system: each one equation,
    with y between them, and joined by a brace or one unsolvable alone (with x and y both)?"""
    try:
        equations = [parse(list(line or "")) for line in (first, second)]
    except RecognizerError:
        return False
    if not all(isinstance(e, Equation) and len(e.sides) == 2 for e in equations):
        return False
    names = [unknowns(e) for e in equations]
    return "y" in names[0] | names[1] and names[0] | names[1] <= {"x", "y"} and (
        braced or any(len(n) == 2 for n in names))


def problem_lines(lines: Sequence[str | None],
                  braced: Sequence[bool] | None = None) -> list[tuple[int, ...]]:
    """Lines (canonical expressions, top to bottom) grouped into problems: a line alone, or two
    lines that are one system (is_system; `braced`: a brace joins a line to the next)."""
    groups: list[tuple[int, ...]] = []
    k = 0
    while k < len(lines):
        pair = k + 1 < len(lines) and is_system(lines[k], lines[k + 1],
                                                bool(braced and braced[k]))
        groups.append((k, k + 1) if pair else (k,))
        k += len(groups[-1])
    return groups


def solve_system(first: Solution, second: Solution) -> Solution:
    """Two lines' readings solved together, as one system."""
    return replace(solve_tokens(list(f"{first.expression};{second.expression}")),
                   written=f"{first.written};{second.written}")


def solve_tokens(tokens: Sequence[str]) -> Solution:
    """Parse and solve canonical tokens; problems go into Solution.error, never raised."""
    expression = canonical(tokens)
    try:
        answer = solve(parse(tokens))
    except RecognizerError as error:
        return Solution(expression, None, error=str(error))
    return Solution(expression, answer.result, answer.approximation)


# A typed line's own number: `1)`, `a)`, or `3.` followed by a space (`3.5` is a number).
_TYPED_LABEL = re.compile(r"^\s*(\d{1,2}\)|[a-hA-H]\)|\d{1,2}\.(?=\s))\s*")
MAX_TYPED_LINES = 20


def solve_lines(text: str) -> list[tuple[str | None, Solution]]:
    """Typed problems, one per line, each with the label it was typed with (`1)`, `a)`, `3.`)
    or None; two lines that are one system of equations are solved together, as one."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_TYPED_LINES:
        return [(None, Solution(None, None, error=f"that is more than {MAX_TYPED_LINES} lines; "
                                                  "please send fewer problems at a time"))]
    labelled = []
    for line in lines:
        match = _TYPED_LABEL.match(line)
        labelled.append((match.group(1) if match else None, line[match.end():] if match else line))
    solved = [solve_text(line) for _, line in labelled]
    return [(labelled[group[0]][0],
             solve_system(*(solved[k] for k in group)) if len(group) == 2 else solved[group[0]])
            for group in problem_lines([s.expression for s in solved])]


def solve_text(text: str) -> Solution:
    """Solve what a user typed ("2x+3=11", "what is 2+2?"); problems go into Solution.error,
    never raised."""
    text = strip_question(text)
    try:
        tokens = tokenize(text)
    except ExpressionError as error:
        return Solution(None, None, error=str(error))
    return replace(solve_tokens(tokens), written=written(text, tokens))
