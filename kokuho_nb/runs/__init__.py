"""Runs of the month's work through the papermill notebooks: the surface that ``kokuho-nb month run|all``,
``meeting build`` and ``demo`` call.

- :mod:`.notebooks` the papermill runner (always passes ``kernel_name``; a process pool, timeouts, failures);
- :mod:`.month_run` ``month run``: issue the month's lists once, render them over notebook runs;
- :mod:`.month_all` ``month all``: the lists, the meeting pack and the OJT sheets on one pool; ``meeting build``;
- :mod:`.staging` a month folder replaced in one step (written into a staging folder, swapped in when complete);
- :mod:`.demo` ``demo``: several months of the plan's routine on the synthetic ward.
"""
