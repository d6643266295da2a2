"""mathsnap recognizer: a photo of handwritten math → the expression and its exact value."""

from recognizer.pipeline import annotate, load_models, recognize
from recognizer.solve import solve_lines, solve_text
from recognizer.types import Problem, Recognition, RecognizerError, Solution, SymbolRead

__all__ = ["Problem", "Recognition", "RecognizerError", "Solution", "SymbolRead", "annotate",
           "load_models", "recognize", "solve_lines", "solve_text"]
