"""Built-in STONITH devices: cluster-glue's ``stonith`` command, fence agents, and a
power switch reached over a Unix socket (the lab's)."""
