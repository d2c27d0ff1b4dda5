"""nbgrader's gradebook, opened as often as a grading run needs at the cost of opening it once.

nbgrader's ``Gradebook`` makes a new SQLAlchemy engine each time it is opened and disposes of it
when closed, and SQLAlchemy's cache of compiled SQL lives on the engine: every student saved
compiled the same queries again, which was most of the time saving a student takes (a merge of
300 students opens the gradebook 300 times, a refresh once per feedback page). ``Gradebook`` here
is nbgrader's with one engine per database and process instead. The engine keeps no connection
between uses (``NullPool``): closing the gradebook closes its connection as nbgrader's does, so
nothing stays open on SQLite's file, and a forked process, which gets an engine of its own,
inherits none. It also gives the grades and comments an index by submitted notebook, which
nbgrader's schema lacks (``NOTEBOOK_INDEXES``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from nbgrader import api
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

_engines: dict[tuple[int, str], Engine] = {}
_indexed: set[Engine] = set()

# nbgrader's schema has no index on the submitted notebook of a grade or a comment, and saving a
# student reads a notebook's grades and comments by it: without these, each student saved reads
# the whole grade and comment tables, and saving a class takes time in the square of its size
NOTEBOOK_INDEXES = {"penguin_course_grade_notebook": "grade", "penguin_course_comment_notebook": "comment"}


def engine_for(db_url: str) -> Engine:
    """This process's engine for the database at ``db_url``. An SQLite file's relative path is
    the working folder's at this call (as for nbgrader's engine, which SQLAlchemy resolves when
    it is made): nbgrader's default ``sqlite:///gradebook.db`` names every course's gradebook."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=os.path.abspath(url.database))
    key = (os.getpid(), url.render_as_string(hide_password=False))
    if key not in _engines:
        _engines[key] = create_engine(url, echo=False, future=True, poolclass=NullPool)
    return _engines[key]


def alembic_head() -> str:
    """The revision of nbgrader's latest migration, which a new gradebook is at: what nbgrader's
    ``get_alembic_version`` finds, but read in this process, not by an ``alembic`` program that
    may not be on PATH (it is in the course's .venv/bin, which a command run as .venv/bin/python
    does not put there)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(api.__file__).parent / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


class Gradebook(api.Gradebook):
    """nbgrader's gradebook on the process's engine for ``db_url``; a context manager, like nbgrader's."""

    def __init__(self, db_url: str, course_id: str = "default_course", authenticator=None):
        # nbgrader's __init__ but for the engine: the tables are looked for on every opening, as
        # nbgrader does, since the database may have been removed since (make clean), but with
        # one query, not one per table
        self.engine = engine_for(db_url)
        self.db = scoped_session(sessionmaker(autoflush=True, bind=self.engine, future=True))
        tables = set(inspect(self.engine).get_table_names())
        if not set(api.Base.metadata.tables) <= tables:
            api.Base.metadata.create_all(bind=self.engine)
            _indexed.discard(self.engine)
        if self.engine not in _indexed:  # once per engine: an index stays in the database once made
            with self.engine.begin() as connection:
                for index, table in NOTEBOOK_INDEXES.items():
                    connection.execute(text(f"CREATE INDEX IF NOT EXISTS {index} ON {table} (notebook_id)"))
            _indexed.add(self.engine)
        if not tables:
            self.db.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"))
            self.db.execute(text(f"INSERT INTO alembic_version (version_num) VALUES ('{alembic_head()}');"))
            self.db.commit()
        self.check_course(course_id=course_id)
        self.course_id = course_id
        self.authenticator = authenticator
        self._commit = None  # the session's own commit, while one_transaction stands in for it

    @contextlib.contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Within the block, nbgrader's methods, which commit after each change, only send it to
        the database (flush), and the block's end commits once: saving a student is one write
        to disk, not one per step (each an fsync on SQLite), and the objects read stay loaded.
        An error rolls back what the block did since it began (or since ``commit_so_far``). A
        block within another is part of the outer one."""
        if self._commit is not None:
            yield
            return
        self._commit = self.db.commit
        self.db.commit = self.db.flush
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        finally:
            del self.db.commit
            commit, self._commit = self._commit, None
        commit()

    def commit_so_far(self) -> None:
        """Within ``one_transaction``, commit what it has done: a long one (a merge of a class)
        neither holds SQLite's write lock throughout nor loses all of it to a late error."""
        if self._commit is not None:
            self._commit()

    def close(self) -> None:
        """Give the connection back (NullPool closes it); the engine stays for the next opening."""
        self.db.remove()
