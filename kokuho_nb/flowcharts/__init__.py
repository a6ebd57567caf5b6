"""Flowcharts of case handling as data: load, validate, walk for a case, draw as SVG."""

from kokuho_nb.flowcharts.conditions import Domain, evaluate, load_domains
from kokuho_nb.flowcharts.model import Branch, Flowchart, Node, available, load, load_all, load_file
from kokuho_nb.flowcharts.render import render_svg, to_dot
from kokuho_nb.flowcharts.validate import Problem, check_file, validate
from kokuho_nb.flowcharts.walk import Path, Step, walk

__all__ = [
    "Branch", "Domain", "Flowchart", "Node", "Path", "Problem", "Step", "available", "check_file", "evaluate",
    "load", "load_all", "load_domains", "load_file", "render_svg", "to_dot", "validate", "walk",
]
