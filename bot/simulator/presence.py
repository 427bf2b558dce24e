"""What members do outside interactions: voice, threads, interest in scheduled events.

`PresenceActions` is mixed into `Simulator`. Each action is refused (`SimulatorError`) where
the Discord client would not offer it, and announced as the gateway event Discord sends.
"""

from __future__ import annotations

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.state import PRIVATE_THREAD, SimChannel, SimMember, SimScheduledEvent, World
from bot.simulator.state.scheduled_events import FINISHED
from bot.simulator.transcript import Transcript


class PresenceActions:
    """Mixed into `Simulator`, which sets these attributes."""

    world: World
    transcript: Transcript

    # -- voice ---------------------------------------------------------------------------------

    def join_voice(self, member: SimMember, channel: SimChannel) -> None:
        """Join (or move to) a voice/stage channel of the member's guild they can connect to
        (View Channel and Connect); VOICE_STATE_UPDATE, timed by the simulator's clock."""
        member.guild.connect_voice(member, channel)
        self.transcript.action(member.name, f"joins voice {channel.name}")

    def leave_voice(self, member: SimMember) -> None:
        member.guild.disconnect_voice(member)
        self.transcript.action(member.name, "leaves voice")

    def set_voice(self, member: SimMember, **flags: bool) -> None:
        """Toggle `self_mute`, `self_deaf`, `self_video`, `self_stream` (or, as a moderator
        would, `mute` / `deaf`) for a member in voice; VOICE_STATE_UPDATE."""
        member.guild.update_voice(member, **flags)

    # -- threads -------------------------------------------------------------------------------

    def join_thread(self, member: SimMember, thread: SimChannel) -> None:
        """The member's "Join Thread" on a public thread they see (THREAD_MEMBERS_UPDATE)."""
        _check_thread(member, thread)
        if thread.type == PRIVATE_THREAD:
            raise SimulatorError("private threads are joined only by being added")
        if member.id not in thread.thread_members:
            thread.add_member(member.id)

    def leave_thread(self, member: SimMember, thread: SimChannel) -> None:
        """The member's "Leave Thread" (THREAD_MEMBERS_UPDATE with `removed_member_ids`)."""
        _check_thread(member, thread)
        if member.id not in thread.thread_members:
            raise SimulatorError(f"{member.name} is not in the thread {thread.name!r}")
        thread.remove_member(member.id)
        self.transcript.action(member.name, f"leaves the thread {thread.name!r}")

    # -- scheduled events ------------------------------------------------------------------------

    def rsvp(self, member: SimMember, event: SimScheduledEvent) -> None:
        """The member clicks "Interested" on a scheduled event (GUILD_SCHEDULED_EVENT_USER_ADD,
        with the GUILD_SCHEDULED_EVENTS intent)."""
        if event.deleted or event.status in FINISHED:
            raise SimulatorError(f"the event {event.name!r} is over")
        if member.guild is not event.guild:
            raise SimulatorError(f"{member.name} is not in the event's server")
        channel = self.world.channels.get(event.channel_id) if event.channel_id else None
        if channel is not None and not member.can_see(channel):
            # Discord shows a voice or stage event only to those who can view its channel.
            raise SimulatorError(f"{member.name} cannot see the event {event.name!r}")
        if member.id not in event.subscribers:
            self.transcript.action(member.name, f"is interested in “{event.name}”")
            event.subscribers.append(member.id)
            self._event_user("GUILD_SCHEDULED_EVENT_USER_ADD", member, event)

    def unrsvp(self, member: SimMember, event: SimScheduledEvent) -> None:
        if member.id in event.subscribers:
            event.subscribers.remove(member.id)
            self._event_user("GUILD_SCHEDULED_EVENT_USER_REMOVE", member, event)

    def _event_user(self, name: str, member: SimMember, event: SimScheduledEvent) -> None:
        data = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(member.id),
            "guild_id": str(event.guild.id),
        }
        self.world.emit(name, data, event.guild.id)


def _check_thread(member: SimMember, thread: SimChannel) -> None:
    if not thread.is_thread or thread.deleted:
        raise SimulatorError(f"#{thread.name} is not a thread")
    if not member.can_see(thread):
        raise SimulatorError(f"{member.name} cannot see the thread {thread.name!r}")
    if thread.archived:
        # Discord: only deleting messages happens in an archived thread.
        raise SimulatorError(f"the thread {thread.name!r} is archived")


def prepare_thread_post(member: SimMember, thread: SimChannel) -> None:
    """Before a member posts in a thread: Send Messages in Threads; a locked thread only with
    Manage Threads; an archived one reopens by posting unless it is locked (Discord's rule)."""
    allowed = member.permissions_in(thread)
    if not allowed & perms.SEND_IN_THREADS:
        raise SimulatorError(f"{member.name} may not send messages in threads here")
    if thread.locked and (thread.archived or not allowed & perms.MANAGE_THREADS):
        raise SimulatorError(f"the thread {thread.name!r} is locked")
    if thread.archived:
        thread.unarchive(thread.world.now())
