"""Reply depth from parent links, in bounded memory.

Dumps list comments in whatever order the CMS stored them: usually parents
first, but newest-first exports put replies before the comment they answer.
`DepthResolver` keeps the depth of the most recently seen comments (an LRU
window; a comment is refreshed whenever it is replied to) and holds a reply
whose parent has not been seen yet until the parent arrives. Both are bounded:

- `window` comments remembered (default 20,000): a reply to a comment that
  is older than that, counted in ids read since it was last replied to, is
  held as if its parent were missing;
- `max_pending` replies held (default 20,000): past that the oldest held reply
  is released as an orphan.

An orphan (its parent never appears, or the links form a cycle) is released
at depth 0 with its `parent_id` kept, and counted in `orphans`. Every comment
fed in comes out exactly once, so nothing is lost; the order changes only for
replies that arrived before their parent.

Comments are keyed by (thread, id) so dumps that number comments per article
(1, 2, 3 under every thread) resolve correctly. A parent id of "0" or "" means
top level (WordPress, Disqus) unless a comment with that id exists.

Why 20,000 and not more: the window is the one structure of a reader that
grows with the dump, and it must be full early so that a long run's memory
stays flat (a 100k-comment run and a 1M-comment run peak alike). An entry costs
~250-500 bytes with the LRU's churn (key tuple, id and thread strings, the
ordered dict's node), so 20,000 ids are ~8 MB, reached after 20,000 comments
(measured: the same 8 MB after 100k and after 1M comments; a 100,000 window
took 30 MB at 100k and 53 MB from 1M on). The cost: a reply more than 20,000
comments (counted since its parent was last replied to) after its parent in
the dump gets depth 0, as an orphan with its `parent_id` kept. Dumps ordered
by thread or by time put nearly every reply well within that; pass a larger
`window` (`read_dump(depth_window=...)`) for dumps that do not.

`feed` is on the hot path of every dump (once per comment), so it returns a
small list instead of being a generator, and a top-level comment with nothing
waiting for it takes a short path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from moderation.records import Comment

DEFAULT_WINDOW = 20_000
DEFAULT_MAX_PENDING = 20_000

_TOP_LEVEL = {"", "0", None}


class DepthResolver:
    def __init__(self, window: int = DEFAULT_WINDOW, max_pending: int = DEFAULT_MAX_PENDING):
        self.window = window
        self.max_pending = max_pending
        self._depth: OrderedDict[tuple, int] = OrderedDict()
        # parent key -> replies waiting for it; and all waiting replies, oldest first.
        self._waiting: dict[tuple, list[Comment]] = {}
        self._pending: OrderedDict[int, tuple[tuple, Comment]] = OrderedDict()
        self.orphans = 0

    def _remember(self, comment: Comment) -> None:
        key = (comment.thread, comment.id)
        self._depth[key] = comment.depth
        self._depth.move_to_end(key)
        if len(self._depth) > self.window:
            self._depth.popitem(last=False)

    def _release(self, comment: Comment) -> Iterator[Comment]:
        """Yield `comment` and every held reply below it, depth-first, without recursion."""
        stack = [comment]
        while stack:
            current = stack.pop()
            self._remember(current)
            yield current
            children = self._waiting.pop((current.thread, current.id), None)
            if children:
                for child in reversed(children):
                    self._pending.pop(id(child), None)
                    child.depth = current.depth + 1
                    stack.append(child)

    def _hold(self, key: tuple, comment: Comment) -> Iterator[Comment]:
        self._waiting.setdefault(key, []).append(comment)
        self._pending[id(comment)] = (key, comment)
        while len(self._pending) > self.max_pending:
            yield from self._release_oldest()

    def _release_oldest(self) -> Iterator[Comment]:
        _, (key, comment) = self._pending.popitem(last=False)
        siblings = self._waiting.get(key)
        if siblings is not None:
            siblings.remove(comment)
            if not siblings:
                del self._waiting[key]
        comment.depth = 0
        self.orphans += 1
        yield from self._release(comment)

    def feed(self, comment: Comment) -> list[Comment]:
        """Take one comment; return those whose depth is now known (maybe none, maybe several), in order."""
        parent = comment.parent_id
        if parent is None or parent == comment.id:
            if parent is not None:
                self.orphans += 1  # a comment that answers itself: a one-link cycle
            comment.depth = 0
            if self._waiting:
                return list(self._release(comment))
            self._remember(comment)  # the common case: nothing waits for it
            return [comment]
        key = (comment.thread, parent)
        depth = self._depth.get(key)
        if depth is not None:
            self._depth.move_to_end(key)
            comment.depth = depth + 1
            return list(self._release(comment))
        if parent in _TOP_LEVEL:
            comment.parent_id = None
            comment.depth = 0
            return list(self._release(comment))
        return list(self._hold(key, comment))

    def flush(self) -> Iterator[Comment]:
        """At the end of a dump: release every held reply (their parents never came)."""
        while self._pending:
            yield from self._release_oldest()
