"""The one table of how probabilities read on screen: the Python and the page's JS are held to it."""

PERCENT_CASES = [
    (0.0, "<1%"),
    (0.0004, "<1%"),
    (0.0099, "<1%"),
    (0.01, "1%"),
    (0.0149, "1%"),
    (0.025, "3%"),  # halves round up in both languages
    (0.044, "4%"),
    (0.0949, "9%"),
    (0.0951, "10%"),
    (0.1, "10%"),
    (0.125, "13%"),
    (0.5581, "56%"),
    (0.9949, "99%"),
    (0.995, ">99%"),
    (1.0, ">99%"),
]
