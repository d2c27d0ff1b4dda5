"""Running code the course does not trust: each student's kernel in a sandbox, warm kernels
forked from a zygote, the tests judged in a process of their own over data that crossed from
the kernel, and nbgrader's own autograde kept from running student code.

May import: ``course``, ``setup``.
"""
