"""Batch experiments: experiment files, designs, the Dask runner, the result store, reports.

The pieces, in the order a batch uses them:

- :mod:`abm.experiments.spec`: the experiment file schema and its loader;
- :mod:`abm.experiments.design`: design points, seeds from identity, the frozen plan;
- :mod:`abm.experiments.store`: the experiment directory (the driver is its only writer);
- :mod:`abm.experiments.worker`: what a Dask worker runs for one run;
- :mod:`abm.experiments.engine`: the driver (local cluster or ``--scheduler``);
- :mod:`abm.experiments.report`: tables and plots for ``abm report``.
"""
