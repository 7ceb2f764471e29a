"""The key bar at the foot of every screen: Textual's Footer, rebuilt only when what it shows
changes.

Textual's Footer recomposes (all its keys, each styled anew) every time the screen says its
bindings may have changed, and a screen says so three or four times while it opens (the
stack changes, auto-focus, our own focus, a widget pruned). At start-up that was ~100 ms of
the first frame for one bar that ends up exactly as the first rebuild drew it. Here the
requests made before a rebuild runs share that one rebuild, and a rebuild that would draw
the same keys as the bar already shows is skipped.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyBar(Footer):
    """A Footer that rebuilds once per burst of binding changes, and only for a change."""

    _rebuild_pending = False
    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What the bar would show: each shown binding with its enabled state and tooltip."""
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own handler, except that it queues one rebuild, not one per request.
        # `_bindings_ready` is the flag Footer.compose waits for (textual is pinned exactly).
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await self.recompose()
