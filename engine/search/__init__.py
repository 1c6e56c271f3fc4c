"""Searching the library by movement: which routine (and where in it) a clip dances (`find`).

Sits beside `batch`, `dataset`, `live` and `demo`: it reads the library's clips and their poses
(library, io) and searches them with `engine.analysis.subsequence`.
"""

from engine.search.find import MIN_QUERY_S, NO_MATCH_COST, FindResult, Match, Routine, find_routine, load_routines

__all__ = ["MIN_QUERY_S", "NO_MATCH_COST", "FindResult", "Match", "Routine", "find_routine", "load_routines"]
