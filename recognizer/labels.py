"""Class lists of the two symbol models and what each class means to the layout and grammar."""

from __future__ import annotations

DIGITS = tuple("0123456789")
# The operator model knows every class; the digit model refines the digits.
# "cross" is × or the letter x and "dot" is · or a decimal point: context decides.
# "equals" catches an `=` whose bars touch; separate bars are joined by segmentation.
# New classes go at the end, so that a model's existing class indices keep their meaning.
SYMBOLS = (*DIGITS, "plus", "minus", "cross", "dot", "asterisk", "obelus", "slash",
           "lparen", "rparen", "equals", "y", "sqrt")
# Classes only the added model knows (models/added.tflite); the symbol model knows the rest.
ADDED = ("y", "sqrt")

# How each class is shown to a user.
GLYPH = {**{d: d for d in DIGITS}, "plus": "+", "minus": "−", "cross": "×", "dot": "·",
         "asterisk": "*", "obelus": "÷", "slash": "/", "lparen": "(", "rparen": ")", "equals": "=",
         "y": "y", "sqrt": "√"}
