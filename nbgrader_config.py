"""nbgrader configuration for the course (read by every nbgrader command run from this folder)."""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "intro-deep-learning"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Models that notebook 3 saves when an instructor runs it in source/ must never reach the
# release, nor overwrite the model a student's own notebook saves while it is graded.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.keras"]

# Time per cell while grading: the longest cell trains a model in ~10 s on 2 cores.
c.Execute.timeout = 300

# Put back test cells that a student deleted: deleting a failing test never earns its points.
c.OverwriteCells.add_missing_cells = True
