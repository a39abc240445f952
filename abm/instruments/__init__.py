"""Policy instruments, one module each; see ``base`` for what an instrument declares
and ``registry`` for how they are found."""
