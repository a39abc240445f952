"""The browser page (`abm viz`): a Solara app over the same model factory as the CLI.

``viz`` imports ``abm``; ``abm`` never imports ``viz`` (the CLI imports it lazily).
"""
