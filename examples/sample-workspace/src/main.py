#!/usr/bin/env python3
"""Counts the words of lib/words.txt."""
from pathlib import Path

words = Path(__file__).with_name("lib").joinpath("words.txt").read_text().split()
print(f"{len(words)} words")
