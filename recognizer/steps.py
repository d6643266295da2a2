"""Worked solutions: the steps from a problem to its answer, as a teacher writes them.

Arithmetic goes by the order of operations, one operation per line: innermost brackets first,
then powers, then × and ÷, then + and −, left to right. Fractions get a common denominator and
are simplified by their greatest common divisor; dividing is multiplying by the reciprocal.
Linear equations in x collect x on one side and numbers on the other, then divide; quadratics
are factored when their roots are rational, else solved with the quadratic formula.

The problem goes through the same parser and solver as an answer (`solve`), so the same limits
apply and the last step is the solver's answer. Steps are computed on the parsed tree with
exact fractions; user text is never evaluated. What this module cannot explain (roots other
than exact ones, x in a divisor or exponent, cubics, more than MAX_STEPS lines) raises
StepsError with a short sentence instead of a derivation that might be wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from recognizer.display import render_expression, render_result
from recognizer.grammar import (
    BinaryOp,
    Equation,
    Negate,
    Node,
    Number,
    Variable,
    canonical,
    parse,
    strip_question,
    tokenize,
    unknowns,
)
from recognizer.solve import Answer, solve
from recognizer.types import MathError, RecognizerError

MAX_STEPS = 40
OUT_OF_SCOPE = (
    "I can show the steps of arithmetic, fractions, powers, and linear and quadratic "
    "equations in x or y; not of this one yet"
)
TOO_LONG = f"this takes more than {MAX_STEPS} steps to show, too many to be useful"
UNDEFINED = "undefined"
_CANONICAL = set("0123456789.+-*/()=xy^√;")
_PRIORITY = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
_VERBS = {"*": "multiply", "/": "divide"}


@dataclass(frozen=True)
class Step:
    """One line of a worked solution."""

    expression: str  # canonical ("2*x+3=11"), or an answer as the solver prints it
    why: str  # a short English reason: "multiply first: 3 × 4 = 12"


class StepsError(RecognizerError):
    """There is no worked solution to show: out of scope or too long."""


class _Undefined(Exception):
    """A division by zero, with the sentence that says where."""


class _OutOfScope(Exception):
    pass


def steps(problem: str | Sequence[str]) -> list[Step]:
    """The worked solution of typed text ("2x+3=11") or canonical tokens.

    The first step is the problem as read, the last the answer. Raises RecognizerError (the
    solver's own errors, or StepsError) when there is nothing to show.
    """
    if isinstance(problem, str):
        problem = tokenize(strip_question(problem))
    tree = parse(problem)
    if unknowns(tree) == {"y"}:  # the same steps as in x, naming y
        as_x = steps(["x" if token == "y" else token for token in problem])
        return [Step(_named_y(s.expression), _named_y(s.why)) for s in as_x]
    try:
        answer: Answer | None = solve(tree)
    except MathError as error:
        if "division by zero" not in str(error):
            raise
        answer = None  # the steps will reach the division by zero
    writer = _Writer(tree, decimals="." in canonical(problem))
    writer.lines.append(Step(canonical(problem), "the problem"))
    try:
        writer.solve(tree, answer)
    except _Undefined as undefined:
        writer.lines.append(Step(UNDEFINED, str(undefined)))
    except _OutOfScope:
        raise StepsError(OUT_OF_SCOPE) from None
    if (answer is None) != (writer.lines[-1].expression == UNDEFINED):
        raise StepsError(OUT_OF_SCOPE)  # the solver and the steps disagree: show nothing
    return writer.lines


def _named_y(text: str) -> str:
    return re.sub(r"(?<![a-z])x(?![a-z])", "y", text)  # 5x, x², not "exactly"


def render_step(expression: str) -> str:
    """A step's expression as people read it: 2*x-1 → 2x − 1, x = 2*sqrt(3) → x = 2·√3."""
    if set(expression) <= _CANONICAL:
        return render_expression(expression)
    return render_result(expression)


# ---------------------------------------------------------------- trees


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Negate(operand=operand):
            return (operand,)
        case BinaryOp(left=left, right=right):
            return (left, right)
        case Equation(sides=sides):
            return sides
    return ()


def _with_children(node: Node, children: Sequence[Node]) -> Node:
    match node:
        case Negate():
            return Negate(children[0])
        case BinaryOp(op=op):
            return BinaryOp(op, children[0], children[1])
        case Equation():
            return Equation(tuple(children))
    return node


def _replace(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    children = list(_children(node))
    children[path[0]] = _replace(children[path[0]], path[1:], new)
    return _with_children(node, children)


def _fold(node: Node) -> Node:
    """−(3) is the number −3: a sign, not an operation to show."""
    node = _with_children(node, [_fold(child) for child in _children(node)])
    if isinstance(node, Negate) and isinstance(node.operand, Number):
        return Number(-node.operand.value)
    return node


def _has_x(node: Node) -> bool:
    return isinstance(node, Variable) or any(_has_x(child) for child in _children(node))


def _fraction(top: int, bottom: int) -> Node:
    """top/bottom as written, not yet simplified."""
    return BinaryOp("/", Number(Fraction(top)), Number(Fraction(bottom)))


# ---------------------------------------------------------------- printing


def _terminating(value: Fraction) -> bool:
    bottom = value.denominator
    for prime in (2, 5):
        while bottom % prime == 0:
            bottom //= prime
    return bottom == 1


def _decimal_text(value: Fraction) -> str:
    """A terminating fraction as a decimal: 3/10 → 0.3."""
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return sign + (f"{digits[:-places]}.{digits[-places:]}" if places else digits)


class _Printer:
    def __init__(self, decimals: bool) -> None:
        self.decimals = decimals  # the user wrote a decimal: show decimals where they end

    def number(self, value: Fraction) -> str:
        if value.denominator == 1:
            return str(value.numerator)
        if self.decimals and _terminating(value):
            return _decimal_text(value)
        return str(value)

    def is_fraction(self, node: Node) -> bool:
        """A number shown as p/q, which reads as a division."""
        return isinstance(node, Number) and "/" in self.number(node.value)

    def negative(self, node: Node) -> bool:
        """Whether node is shown starting with a minus sign."""
        match node:
            case Number(value=value):
                return value < 0
            case Negate():
                return True
            case BinaryOp(op=op, left=left) if op != "^":
                return self.negative(left)
        return False

    def needs_brackets(self, parent: Node, index: int, child: Node) -> bool:
        if isinstance(parent, Negate):
            return not (
                isinstance(child, Variable)
                or (isinstance(child, Number) and not self.is_fraction(child))
                or (isinstance(child, BinaryOp) and child.op == "^")
            )
        if not isinstance(parent, BinaryOp):
            return False
        child_op = child.op if isinstance(child, BinaryOp) else None
        if parent.op in "+-":
            return index == 1 and (self.negative(child) or child_op in ("+", "-"))
        if parent.op in "*/":
            if index == 0:  # (1/2)/3: a fraction being divided stays in one piece
                return child_op in ("+", "-") or (parent.op == "/" and self.is_fraction(child))
            return (child_op in ("+", "-", "*", "/") or self.negative(child)
                    or self.is_fraction(child))
        if index == 0:  # the base of a power
            return not (isinstance(child, Variable) or (
                isinstance(child, Number) and child.value >= 0 and not self.is_fraction(child)))
        return not (isinstance(child, Variable) or child_op == "^" or (
            isinstance(child, Number) and not self.is_fraction(child)))

    def text(self, node: Node) -> str:
        match node:
            case Number(value=value):
                return self.number(value)
            case Variable():
                return "x"
            case Negate(operand=operand):
                return "-" + self._child(node, 0, operand)
            case Equation(sides=sides):
                return "=".join(self.text(side) for side in sides)
            case BinaryOp(op=op, left=left, right=right):
                left_text, right_text = self._child(node, 0, left), self._child(node, 1, right)
                if op == "*" and self._implicit(left, right, right_text):
                    return left_text + right_text
                return f"{left_text}{op}{right_text}"
        raise TypeError(f"cannot print {node!r}")

    def _child(self, parent: Node, index: int, child: Node) -> str:
        text = self.text(child)
        return f"({text})" if self.needs_brackets(parent, index, child) else text

    @staticmethod
    def _implicit(left: Node, right: Node, right_text: str) -> bool:
        """2x, 3x^2, 2(x+1), (x-2)(x-3): multiplications by an x term are written without ×."""
        if not _has_x(right) or (isinstance(left, Variable) and not right_text.startswith("(")):
            return False
        x_power = isinstance(right, Variable) or (
            isinstance(right, BinaryOp) and right.op == "^" and isinstance(right.left, Variable))
        return x_power or right_text.startswith("(")


# ---------------------------------------------------------------- polynomials in x

Polynomial = dict[int, Fraction]  # degree -> coefficient, no zero coefficients
MAX_DEGREE = 2


def _polynomial(node: Node) -> Polynomial:
    """node as a polynomial in x of degree at most MAX_DEGREE; _OutOfScope otherwise."""
    match node:
        case Number(value=value):
            return {0: value} if value else {}
        case Variable():
            return {1: Fraction(1)}
        case Negate(operand=operand):
            return {k: -c for k, c in _polynomial(operand).items()}
        case BinaryOp(op="+" | "-" as op, left=left, right=right):
            sign = 1 if op == "+" else -1
            return _add(_polynomial(left), _polynomial(right), sign)
        case BinaryOp(op="*", left=left, right=right):
            return _multiply(_polynomial(left), _polynomial(right))
        case BinaryOp(op="/", left=left, right=right):
            divisor = _polynomial(right)
            if any(divisor.keys() - {0}):
                raise _OutOfScope
            if not divisor:
                raise _Undefined("dividing by 0 has no value: division by zero is undefined")
            return {k: c / divisor[0] for k, c in _polynomial(left).items()}
        case BinaryOp(op="^", left=left, right=right):
            exponent = _polynomial(right)
            power = exponent.get(0, Fraction(0))
            if any(exponent.keys() - {0}) or power.denominator != 1 or power < 0:
                raise _OutOfScope
            base = _polynomial(left)
            if not any(base.keys() - {0}):  # a number: no limit on the power but the solver's
                value = base.get(0, Fraction(0)) ** int(power)
                return {0: value} if value else {}
            if power > MAX_DEGREE:
                raise _OutOfScope
            result: Polynomial = {0: Fraction(1)}
            for _ in range(int(power)):
                result = _multiply(result, base)
            return result
    raise _OutOfScope


def _add(left: Polynomial, right: Polynomial, sign: int = 1) -> Polynomial:
    total = dict(left)
    for degree, coefficient in right.items():
        total[degree] = total.get(degree, Fraction(0)) + sign * coefficient
    return {k: c for k, c in total.items() if c}


def _multiply(left: Polynomial, right: Polynomial) -> Polynomial:
    product: Polynomial = {}
    for (d1, c1), (d2, c2) in ((a, b) for a in left.items() for b in right.items()):
        if d1 + d2 > MAX_DEGREE:
            raise _OutOfScope
        product = _add(product, {d1 + d2: c1 * c2})
    return product


def _degree(polynomial: Polynomial) -> int:
    return max(polynomial, default=0)


def _term(coefficient: Fraction, degree: int) -> Node:
    power = Variable() if degree == 1 else BinaryOp("^", Variable(), Number(Fraction(degree)))
    if degree == 0:
        return Number(coefficient)
    if coefficient == 1:
        return power
    if coefficient == -1:
        return Negate(power)
    return BinaryOp("*", Number(coefficient), power)


def _tree(polynomial: Polynomial) -> Node:
    """2x^2-3x+1: highest power first, a minus for a negative coefficient after the first."""
    node: Node | None = None
    for degree in sorted(polynomial, reverse=True):
        coefficient = polynomial[degree]
        if node is None:
            node = _term(coefficient, degree)
        else:
            op = "+" if coefficient > 0 else "-"
            node = BinaryOp(op, node, _term(abs(coefficient), degree))
    return node if node is not None else Number(Fraction(0))


# ---------------------------------------------------------------- the steps


class _Writer:
    def __init__(self, problem: Node, decimals: bool) -> None:
        self.problem = problem  # the check puts a solution back into the problem as read
        self.printer = _Printer(decimals)
        self.lines: list[Step] = []

    def add(self, node: Node | str, why: str) -> None:
        """Write a line, unless it reads the same as the one before."""
        text = node if isinstance(node, str) else self.printer.text(node)
        if text == self.lines[-1].expression:
            return
        if len(self.lines) >= MAX_STEPS:
            raise StepsError(TOO_LONG)
        self.lines.append(Step(text, why))

    def shown(self, node: Node) -> str:
        return render_expression(self.printer.text(node))

    def solve(self, tree: Node, answer: Answer | None) -> None:
        tree = self.reduce(_fold(tree))
        if isinstance(tree, Equation):
            self.equation(tree, answer)
        elif not isinstance(tree, Number):
            raise _OutOfScope  # e.g. 2x + 1 with no '=': nothing to solve for
        else:
            self.finishNumber(tree.value, answer)

    # ----------------------------------------------------------- arithmetic

    def reduce(self, tree: Node) -> Node:
        """Work out every operation between two numbers, in the order of operations."""
        while (found := self.next_operation(tree)) is not None:
            path, node, rule = found
            for index, (replacement, why) in enumerate(self.operate(node)):
                tree = _fold(_replace(tree, path, replacement))
                self.add(tree, f"{rule}: {why}" if rule and index == 0 else why)
        return tree

    def _operations(
        self, node: Node, depth: int = 0, path: tuple[int, ...] = ()
    ) -> Iterator[tuple[tuple[int, ...], BinaryOp, int]]:
        """Every operation with its bracket depth, left to right."""
        for index, child in enumerate(_children(node)):
            inner = depth + self.printer.needs_brackets(node, index, child)
            yield from self._operations(child, inner, (*path, index))
        if isinstance(node, BinaryOp):
            yield path, node, depth

    def next_operation(self, tree: Node) -> tuple[tuple[int, ...], BinaryOp, str] | None:
        operations = list(self._operations(tree))
        ready = [
            (depth, _PRIORITY[node.op], -order, path, node)
            for order, (path, node, depth) in enumerate(operations)
            if isinstance(node.left, Number) and isinstance(node.right, Number)
        ]
        if not ready:
            return None
        depth, priority, _, path, node = max(ready, key=lambda r: r[:3])
        others = [(d, _PRIORITY[n.op]) for p, n, d in operations if p != path]
        rule = ""
        if any(d < depth for d, _ in others):
            rule = "brackets first"
        elif priority == 3 and any(d == depth and q < 3 for d, q in others):
            rule = "powers first"
        elif priority == 2 and any(d == depth and q == 1 for d, q in others):
            rule = f"{_VERBS[node.op]} first"
        return path, node, rule

    def operate(self, node: BinaryOp) -> list[tuple[Node, str]]:
        """The lines that replace `left op right`, each with its reason; the last is simpler."""
        assert isinstance(node.left, Number) and isinstance(node.right, Number)
        a, b = node.left.value, node.right.value
        calc = self.shown(node)
        if node.op == "^":
            return self.power(node, a, b, calc)
        plain = all(v.denominator == 1 or (self.printer.decimals and _terminating(v))
                    for v in (a, b))
        if node.op == "/":
            if b == 0:
                raise _Undefined(f"{calc} divides by 0, and division by zero is undefined")
            if plain:
                return self.divide(a, b, calc)
            reciprocal = Number(1 / b)
            return [(BinaryOp("*", node.left, reciprocal),
                     f"dividing by {self.shown(node.right)} is multiplying by its reciprocal "
                     f"{self.shown(reciprocal)}")]
        if plain:
            result = a + b if node.op == "+" else a - b if node.op == "-" else a * b
            return [(Number(result), f"{calc} = {self.shown(Number(result))}")]
        if node.op == "*":
            top, bottom = a.numerator * b.numerator, a.denominator * b.denominator
            product = a * b
            how = f"{calc} = {self.shown(_fraction(top, bottom))}"
            if product.denominator != bottom:
                common = bottom // product.denominator
                how += (f" = {self.shown(Number(product))} (divide the numerator and the "
                        f"denominator by {common})")
            return [(Number(product), how)]
        return self.add_fractions(node.op, a, b)

    def divide(self, a: Fraction, b: Fraction, calc: str) -> list[tuple[Node, str]]:
        result = a / b
        shown_as_fraction = not (self.printer.decimals and _terminating(result))
        if a.denominator == b.denominator == 1 and result.denominator != 1 and shown_as_fraction:
            common = math.gcd(a.numerator, b.numerator)
            if common == 1 or b < 0:
                return [(Number(result), f"{calc} is a fraction in lowest terms")]
            return [(Number(result), f"{calc} = {self.shown(Number(result))} (divide the "
                                     f"numerator and the denominator by {common})")]
        return [(Number(result), f"{calc} = {self.shown(Number(result))}")]

    def add_fractions(self, op: str, a: Fraction, b: Fraction) -> list[tuple[Node, str]]:
        bottom = math.lcm(a.denominator, b.denominator)
        left = a.numerator * (bottom // a.denominator)
        right = b.numerator * (bottom // b.denominator)
        lines: list[tuple[Node, str]] = []
        if a.denominator != bottom or b.denominator != bottom:
            rewritten = [
                f"{self.shown(Number(v))} = {self.shown(_fraction(top, bottom))}"
                for v, top in ((a, left), (b, right)) if v.denominator != bottom
            ]
            lines.append((BinaryOp(op, _fraction(left, bottom), _fraction(right, bottom)),
                          f"common denominator {bottom}: " + ", ".join(rewritten)))
        top = left + right if op == "+" else left - right
        verb = "add" if op == "+" else "subtract"
        lines.append((_fraction(top, bottom), f"{verb} the numerators"))
        return lines

    def power(self, node: BinaryOp, a: Fraction, b: Fraction, calc: str) -> list[tuple[Node, str]]:
        if a == 0 and b < 0:
            raise _Undefined(f"{calc} is 1 ÷ 0{'ⁿ' if b != -1 else ''}: division by zero "
                             "is undefined")
        if b.denominator != 1:
            root = _exact_root(a, b)
            if root is None:
                raise _OutOfScope
            return [(Number(root), f"{calc} = {self.shown(Number(root))}")]
        if b < 0:
            positive = BinaryOp("^", node.left, Number(-b))
            return [(BinaryOp("/", Number(Fraction(1)), positive),
                     "a negative power is 1 divided by the positive power")]
        if a == 0 and b == 0:
            return [(Number(Fraction(1)), "0⁰ is taken as 1")]
        result = a ** int(b)
        if a.denominator != 1 and not self.printer.number(a).count("."):
            top, bottom = a.numerator ** int(b), a.denominator ** int(b)
            return [(_fraction(top, bottom),
                     "raise the numerator and the denominator to the power")]
        if 2 <= b <= 4 and abs(a.numerator) < 100:
            product = "*".join([self.factor_text(a)] * int(b))
            return [(Number(result), f"{calc} = {render_expression(product)} = "
                     f"{self.shown(Number(result))}")]
        return [(Number(result), f"{calc} = {self.shown(Number(result))}")]

    def factor_text(self, value: Fraction) -> str:
        """A number as a factor in 2 × 2 × 2: negative ones in brackets."""
        text = self.printer.number(value)
        return f"({text})" if value < 0 else text

    def finishNumber(self, value: Fraction, answer: Answer | None) -> None:
        if answer is None:
            raise _OutOfScope
        if str(value) != answer.result:
            raise _OutOfScope  # never: the steps must end where the solver does
        if value.denominator == 1 or (self.printer.decimals and _terminating(value)):
            return
        notes = []
        if abs(value) > 1:
            whole, part = divmod(abs(value.numerator), value.denominator)
            sign = "−" if value < 0 else ""
            notes.append(f"as a mixed number {sign}{whole} {part}⁄{value.denominator}")
        if answer.approximation is not None:
            decimal = render_result(answer.approximation)
            notes.append(f"as a decimal {'' if _terminating(value) else '≈ '}{decimal}")
        if notes:
            last = self.lines[-1]
            self.lines[-1] = Step(last.expression, "; ".join(filter(None, [last.why, *notes])))

    # ----------------------------------------------------------- equations

    def equation(self, tree: Equation, answer: Answer | None) -> None:
        if not _has_x(tree):
            values = [side.value for side in tree.sides if isinstance(side, Number)]
            if len(values) != len(tree.sides):
                raise _OutOfScope
            same = len(set(values)) == 1
            shown = " and ".join(dict.fromkeys(self.shown(side) for side in tree.sides))
            why = f"both sides are {shown}" if same else f"the sides are {shown}, not equal"
            self.add("true" if same else "false", why)
            return
        if len(tree.sides) != 2:
            raise _OutOfScope
        left, right = (_polynomial(side) for side in tree.sides)
        if answer is None:
            raise _OutOfScope
        if not all(self.reordered_only(side) for side in tree.sides):
            self.add(Equation((_tree(left), _tree(right))), self.expand_reason(tree))
        if max(_degree(left), _degree(right)) <= 1:
            self.linear(left, right, answer)
        else:
            self.quadratic(left, right, answer)

    def reordered_only(self, side: Node) -> bool:
        """Whether side is already a sum of unlike terms (1 − x), written as _tree writes them."""
        degrees = []
        for term in _terms(side):
            polynomial = _polynomial(term)
            if len(polynomial) > 1:
                return False
            degrees.extend(polynomial)
            own = _term(abs(next(iter(polynomial.values()), Fraction(0))), _degree(polynomial))
            if self.printer.text(own) != self.printer.text(term).removeprefix("-"):
                return False
        return len(degrees) == len(set(degrees))

    def expand_reason(self, tree: Node) -> str:
        bracketed = any(
            isinstance(node, BinaryOp) and (
                node.op in "*/^" and any(
                    isinstance(child, BinaryOp) and child.op in "+-" for child in _children(node)))
            for _, node, _ in self._operations(tree)
        )
        return "expand the brackets and collect like terms" if bracketed else "collect like terms"

    def both_sides(self, left: Polynomial, right: Polynomial, change: Polynomial) -> tuple[
            Polynomial, Polynomial, str]:
        """Subtract change from both sides (add, when it is negative)."""
        if len(change) == 1 and next(iter(change.values())) < 0:
            why = f"add {self.shown(_tree({k: -c for k, c in change.items()}))} to both sides"
        else:
            terms = self.shown(_tree(change))
            why = f"subtract {terms if len(change) == 1 else f'({terms})'} from both sides"
        return _add(left, change, -1), _add(right, change, -1), why

    def linear(self, left: Polynomial, right: Polynomial, answer: Answer) -> None:
        if 1 not in left and 1 in right:
            left, right = right, left
            self.add(Equation((_tree(left), _tree(right))), "swap the sides")
        if 1 in right:
            left, right, why = self.both_sides(left, right, {1: right[1]})
            self.add(Equation((_tree(left), _tree(right))), why)
        if 1 not in left:
            same = left.get(0, 0) == right.get(0, 0)
            sides = Equation((_tree(left), _tree(right)))
            self.add(sides, "the x terms cancel")
            statement = render_expression(self.printer.text(sides))
            if same:
                self.add(answer.result, f"{statement} is true whatever x is: every x is a solution")
            else:
                self.add(answer.result, f"{statement} is never true: no x is a solution")
            return
        if 0 in left:
            left, right, why = self.both_sides(left, right, {0: left[0]})
            self.add(Equation((_tree(left), _tree(right))), why)
        slope, value = left[1], right.get(0, Fraction(0)) / left[1]
        if slope == -1:
            why = "multiply both sides by −1"
        elif slope.denominator == 1:
            why = f"divide both sides by {self.shown(Number(slope))}"
        else:
            why = f"multiply both sides by {self.shown(Number(1 / slope))}, the reciprocal"
        why += self.check(value)
        solution = Equation((Variable(), Number(value)))
        if self.printer.text(solution) == self.lines[-1].expression:
            if len(self.lines) > 1:  # x = 5 as read needs no check
                last = self.lines[-1]
                self.lines[-1] = Step(last.expression, last.why + self.check(value))
        else:
            self.add(solution, why)

    def check(self, value: Fraction) -> str:
        """'; check: 2 × 4 + 3 = 11 ✓', the solution put back into the equation as read."""
        try:
            sides = [_value(side, value) for side in _children(self.problem)]
        except (_OutOfScope, ZeroDivisionError):
            return ""
        if sides[0] != sides[1]:
            raise _OutOfScope  # never: a wrong derivation must not be shown
        substituted = _substitute(self.problem, value)
        both = self.shown(Number(sides[0]))
        return f"; check: {self.shown(substituted)} gives {both} = {both} ✓"

    def quadratic(self, left: Polynomial, right: Polynomial, answer: Answer) -> None:
        if right:
            left, right, why = self.both_sides(left, right, right)
            self.add(Equation((_tree(left), Number(Fraction(0)))), why)
        if _degree(left) <= 1:  # the x² terms cancelled
            self.linear(left, {}, answer)
            return
        left = self.normalise(left)
        a, b, c = (left.get(k, Fraction(0)) for k in (2, 1, 0))
        discriminant = b * b - 4 * a * c
        root = _exact_root(discriminant, Fraction(1, 2)) if discriminant >= 0 else None
        if root is not None:
            self.factor(a, b, root, answer)
            return
        coefficients = (f"a = {self.shown(Number(a))}, b = {self.shown(Number(b))}, "
                        f"c = {self.shown(Number(c))}")
        shown_d = self.shown(Number(discriminant))
        if discriminant < 0:
            real = sympy.Rational(-b.numerator, b.denominator) / (2 * _rational(a))
            imaginary = sympy.sqrt(-_rational(discriminant)) / (2 * _rational(a))
            centre = f"{real} ± " if real else "±"
            complex_roots = render_result(f"x = {centre}{imaginary}*i")
            self.add(answer.result,
                     f"the discriminant b² − 4ac = {shown_d} is negative ({coefficients}), and "
                     f"no real number squared is negative; the complex roots are {complex_roots}")
            return
        bottom = 2 * a
        centre = f"({-b} ± {{}})/{bottom}" if b else f"±{{}}/{bottom}"
        self.add("x = " + centre.format(f"sqrt({discriminant})"),
                 f"quadratic formula x = (−b ± √(b² − 4ac))/(2a) with {coefficients}: "
                 f"the discriminant b² − 4ac = {shown_d}")
        surd = sympy.sqrt(_rational(discriminant))
        if str(surd) != f"sqrt({discriminant})":
            self.add("x = " + centre.format(surd), f"simplify the root: √{discriminant} = "
                     f"{render_result(str(surd))}")
        decimals = f"; as decimals {render_result(answer.approximation)}" \
            if answer.approximation else ""
        self.add(answer.result, f"work out each sign of ±{decimals}")

    def normalise(self, polynomial: Polynomial) -> Polynomial:
        """Whole-number coefficients without a common factor, the x² one positive."""
        scale = Fraction(math.lcm(*(c.denominator for c in polynomial.values())))
        if scale != 1:
            polynomial = {k: c * scale for k, c in polynomial.items()}
            self.add(Equation((_tree(polynomial), Number(Fraction(0)))),
                     f"multiply both sides by {scale} to clear the fractions")
        common = math.gcd(*(int(c) for c in polynomial.values()))
        if polynomial[2] < 0:
            common = -common
        if common != 1:
            polynomial = {k: c / common for k, c in polynomial.items()}
            how = "multiply both sides by −1" if common == -1 else \
                f"divide both sides by {self.shown(Number(Fraction(common)))}"
            self.add(Equation((_tree(polynomial), Number(Fraction(0)))), how)
        return polynomial

    def factor(self, a: Fraction, b: Fraction, root: Fraction, answer: Answer) -> None:
        """(px − q)(rx − s) = 0 for the rational roots (−b ± √D)/(2a)."""
        roots = sorted({(-b - root) / (2 * a), (-b + root) / (2 * a)})
        factors = [_tree(_add({1: Fraction(r.denominator)}, {0: Fraction(r.numerator)}, -1))
                   for r in roots]
        scale = a / math.prod(r.denominator for r in roots) ** (2 if len(roots) == 1 else 1)
        if scale != 1:
            raise _OutOfScope  # a primitive polynomial factors with scale 1 (Gauss's lemma)
        if len(roots) == 1:
            product: Node = BinaryOp("^", factors[0], Number(Fraction(2)))
            why = "a perfect square"
            because = f"a square is 0 only when {self.shown(factors[0])} = 0"
        else:
            product = BinaryOp("*", factors[0], factors[1])
            why = "factor"
            zeros = " or ".join(f"{self.shown(f)} = 0" for f in factors)
            because = f"a product is 0 when one of its factors is 0: {zeros}"
        self.add(Equation((product, Number(Fraction(0)))), why)
        self.add(answer.result, because)


def _terms(node: Node) -> list[Node]:
    """The terms of a sum, without their signs: 2x − 3 + x → 2x, 3, x."""
    if isinstance(node, BinaryOp) and node.op in "+-":
        return _terms(node.left) + _terms(node.right)
    return [node.operand if isinstance(node, Negate) else node]


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _exact_root(base: Fraction, exponent: Fraction) -> Fraction | None:
    """base^exponent when it is rational (8^(2/3) = 4), else None."""
    index = exponent.denominator
    if base < 0 and index % 2 == 0:
        return None
    top, top_exact = sympy.integer_nthroot(abs(base.numerator), index)
    bottom, bottom_exact = sympy.integer_nthroot(base.denominator, index)
    if not (top_exact and bottom_exact):
        return None
    magnitude = Fraction(int(top), int(bottom))
    signed = -magnitude if base < 0 else magnitude
    return signed**exponent.numerator


def _value(node: Node, x: Fraction) -> Fraction:
    """The exact value of node at x; _OutOfScope for powers that are not whole numbers."""
    match node:
        case Number(value=value):
            return value
        case Variable():
            return x
        case Negate(operand=operand):
            return -_value(operand, x)
        case BinaryOp(op=op, left=left, right=right):
            a, b = _value(left, x), _value(right, x)
            if op == "^":
                if b.denominator != 1 or abs(b) > 64:
                    raise _OutOfScope
                return a ** int(b)
            return a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
    raise _OutOfScope


def _substitute(node: Node, x: Fraction) -> Node:
    if isinstance(node, Variable):
        return Number(x)
    return _with_children(node, [_substitute(child, x) for child in _children(node)])


def shown_steps(lines: Sequence[Step]) -> list[tuple[str, str]]:
    """Each step as people read it, with its reason: under an expression each later line starts
    with '=' (2 + 3 × 4, = 2 + 12, = 14); an equation's lines stand as they are."""
    equation = "=" in lines[0].expression
    shown = []
    for index, line in enumerate(lines):
        lead = "= " if index and not equation and line.expression != UNDEFINED else ""
        shown.append((lead + render_step(line.expression), line.why))
    return shown
