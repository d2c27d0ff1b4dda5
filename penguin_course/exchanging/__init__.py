"""Between instructors and students: nbgrader's exchange (the Assignment List), and collecting
submissions from it or from a learning platform's download into submitted/.

May import: ``course``, ``setup``, ``isolation``, ``students``, ``preparing``.
"""
