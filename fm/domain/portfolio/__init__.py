"""The portfolio review (施設と機能の分離): services apart from buildings, the facility card (施設カルテ) and
the quantitative evaluation (一次評価). Frames in, frames or plain dicts out (docs/portfolio.md)."""
