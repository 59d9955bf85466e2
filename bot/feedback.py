"""Clinicians' ratings of answers, kept with the question, answer and citations they rate.

SQLAlchemy over `BOT_FEEDBACK_DB_URL` (SQLite in the data folder by default; PostgreSQL works
with its URL). Every served answer is recorded so that feedback can refer to it by `answer_id`;
questions and comments are stored with patient identifiers already removed. A reviewer marks
feedback as reviewed (`bot feedback review`), and reviewed feedback becomes golden-set cases
(`bot feedback export`) for the eval harness.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.errors import BotError, ConfigError
from bot.evaluation.golden import Category, GoldenCase
from bot.models import Answer, Turn

Rating = Literal["up", "down"]


class UnknownAnswer(BotError):
    """Feedback names an answer this service never gave (or whose record is gone)."""


class UnknownFeedback(BotError):
    """A review names feedback that does not exist."""


class _Base(DeclarativeBase):
    pass


class AnswerRecord(_Base):
    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(32))
    conversation: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    question: Mapped[str] = mapped_column(Text)
    history: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    region: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    flags: Mapped[dict[str, bool]] = mapped_column(JSON)


class FeedbackRecord(_Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SeenEvent(_Base):
    """Platform event ids already taken (Slack retries, Bot Framework redeliveries): one question, one answer,
    across every worker sharing the database."""

    __tablename__ = "seen_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Feedback(BaseModel):
    """One rating as stored, with what it rates."""

    id: int
    answer_id: str
    created_at: datetime
    channel: str
    rating: Rating
    comment: str
    reviewed: bool
    review: dict[str, Any] | None
    question: str
    history: list[Turn]
    region: str | None
    answer: str
    citations: list[dict[str, Any]]
    flags: dict[str, bool]


class Review(BaseModel):
    """What a reviewer decided the rated answer should have been: the golden case's fields."""

    category: Category
    expected_sources: list[str] = Field(default_factory=list)
    must_include: list[list[str]] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)


def _category_of(flags: dict[str, bool]) -> Category:
    if flags.get("refused"):
        return "adversarial"
    if flags.get("emergency"):
        return "emergency"
    if flags.get("out_of_scope") or flags.get("not_covered"):
        return "out_of_scope"
    return "in_scope"


class FeedbackStore:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: several workers write to one file; wait for a lock rather than fail at once.
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        self._create_schema()
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def _create_schema(self) -> None:
        """Create or upgrade the tables. Workers starting together race to do it: whoever loses
        finds the table (or column) already made, which is what it wanted."""
        for attempt in range(5):
            try:
                _Base.metadata.create_all(self.engine)
                self._add_missing_columns()
                return
            except (OperationalError, ProgrammingError) as exc:
                if not re.search(r"already exists|duplicate column", str(exc), re.IGNORECASE) or attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def _add_missing_columns(self) -> None:
        """Bring a database made by an earlier version up to date: columns added since then are
        nullable, so they are added in place and every stored row is kept."""
        inspector = inspect(self.engine)
        with self.engine.begin() as connection:
            for table in _Base.metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    if not column.nullable:
                        raise ConfigError(f"the feedback database's table {table.name} lacks column {column.name}; "
                                          "it cannot be added in place: migrate it or point BOT_FEEDBACK_DB_URL at a new database")
                    kind = column.type.compile(dialect=self.engine.dialect)
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))

    def close(self) -> None:
        self.engine.dispose()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered, False ever after (by any process sharing the database)."""
        try:
            with self._session.begin() as session:
                session.add(SeenEvent(key=key[:200], seen_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True

    def recent_turns(self, conversation: str, limit: int = 3) -> list[Turn]:
        """The last `limit` questions and answers of a conversation, oldest first, as history."""
        with self._session() as session:
            rows = session.execute(
                select(AnswerRecord).where(AnswerRecord.conversation == conversation)
                .order_by(AnswerRecord.created_at.desc()).limit(limit)
            ).scalars().all()
        turns: list[Turn] = []
        for row in reversed(rows):
            turns += [Turn(role="user", content=row.question), Turn(role="assistant", content=row.text[:8000])]
        return turns

    def record_answer(
        self, answer: Answer, question: str, history: list[Turn], channel: str, conversation: str | None = None
    ) -> None:
        """Keep a served answer so feedback can name it. `question` and `history` must be scrubbed."""
        with self._session.begin() as session:
            session.merge(AnswerRecord(
                id=answer.id, created_at=datetime.now(UTC), channel=channel, conversation=conversation, question=question,
                history=[t.model_dump() for t in history], region=answer.region, text=answer.text,
                citations=[c.model_dump(mode="json") for c in answer.citations],
                flags=answer.flags.model_dump(),
            ))

    def add(self, answer_id: str, rating: Rating, comment: str, channel: str) -> int:
        with self._session.begin() as session:
            if session.get(AnswerRecord, answer_id) is None:
                raise UnknownAnswer(f"no answer with id {answer_id!r}: feedback must quote the `id` of an answer this service gave")
            record = FeedbackRecord(
                answer_id=answer_id, created_at=datetime.now(UTC), channel=channel, rating=rating, comment=comment
            )
            session.add(record)
            session.flush()
            return record.id

    def _rows(self, session: Session, reviewed: bool | None = None, feedback_id: int | None = None) -> list[Feedback]:
        """Feedback with what it rates; only that reviewed state, or only that id, when given."""
        query = select(FeedbackRecord, AnswerRecord).join(AnswerRecord).order_by(FeedbackRecord.id)
        if reviewed is not None:
            query = query.where(FeedbackRecord.reviewed.is_(reviewed))
        if feedback_id is not None:
            query = query.where(FeedbackRecord.id == feedback_id)
        return [
            Feedback(
                id=f.id, answer_id=f.answer_id, created_at=f.created_at, channel=f.channel, rating=f.rating,  # type: ignore[arg-type]
                comment=f.comment, reviewed=f.reviewed, review=f.review, question=a.question,
                history=[Turn(**t) for t in a.history], region=a.region, answer=a.text, citations=a.citations, flags=a.flags,
            )
            for f, a in session.execute(query).all()
        ]

    def list(self, only_unreviewed: bool = False) -> list[Feedback]:
        with self._session() as session:
            return self._rows(session, reviewed=False if only_unreviewed else None)

    def get(self, feedback_id: int) -> Feedback:
        with self._session() as session:
            found = self._rows(session, feedback_id=feedback_id)
        if not found:
            raise UnknownFeedback(f"no feedback with id {feedback_id}")
        return found[0]

    def review_defaults(self, feedback_id: int) -> Review:
        """The review that accepts the rated answer as right: its category from its flags and, for
        a thumbs-up, its cited sources as the expected ones."""
        current = self.get(feedback_id)
        return Review(
            category=_category_of(current.flags),
            expected_sources=sorted({c["source_id"] for c in current.citations}) if current.rating == "up" else [],
        )

    def review(self, feedback_id: int, review: Review | None = None) -> Feedback:
        """Mark feedback reviewed, with `review` or else the defaults."""
        review = review or self.review_defaults(feedback_id)
        with self._session.begin() as session:
            record = session.get(FeedbackRecord, feedback_id)
            if record is None:
                raise UnknownFeedback(f"no feedback with id {feedback_id}")
            record.reviewed, record.review = True, review.model_dump()
        return self.get(feedback_id)

    def golden_cases(self) -> list[GoldenCase]:
        with self._session() as session:
            reviewed = self._rows(session, reviewed=True)
        return [
            GoldenCase(
                id=f"feedback-{f.id}", question=f.question, region=f.region, history=f.history,
                **(f.review or {}),
            )
            for f in reviewed
        ]

    def export(self, path: Path) -> int:
        """Write reviewed feedback as golden-set JSONL; the number of cases written."""
        cases = self.golden_cases()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(json.dumps(c.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n" for c in cases),
            encoding="utf-8",
        )
        return len(cases)


__all__ = ["Feedback", "FeedbackStore", "Rating", "Review", "UnknownAnswer", "UnknownFeedback"]
