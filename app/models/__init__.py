"""SQLAlchemy models, one module per area. Models hold data, never commit, never decide rules."""

from app.models.accounts import AuthSession, Member, MemberRole, RecoveryCode, Role
from app.models.audit import AuditEntry
from app.models.directory import Service, ServiceKind, ServiceLanguage
from app.models.chat import (
    ChatMessage, PeerRequest, Room, RoomFacilitator, RoomParticipant, RoomPresence, RoomReminder,
)
from app.models.forum import (
    Bookmark, Category, GroupMembership, Notification, Post, PostRevision, Reaction, Thread,
    ThreadAlias, ThreadFollow, ThreadRead,
)
from app.models.ops import DutySocket, JobRun, Worker
from app.models.safety import DutyPeriod, DutyStatus, Flag, FlagNote, SafetyPlan, SupportResource
from app.models.settings import SiteSetting

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Bookmark",
    "Category",
    "ChatMessage",
    "PeerRequest",
    "Room",
    "RoomFacilitator",
    "RoomParticipant",
    "RoomPresence",
    "RoomReminder",
    "DutyPeriod",
    "DutySocket",
    "JobRun",
    "Worker",
    "DutyStatus",
    "Flag",
    "FlagNote",
    "SafetyPlan",
    "Service",
    "ServiceKind",
    "ServiceLanguage",
    "GroupMembership",
    "Notification",
    "Post",
    "PostRevision",
    "Reaction",
    "SupportResource",
    "Thread",
    "ThreadAlias",
    "ThreadFollow",
    "ThreadRead",
    "Member",
    "MemberRole",
    "RecoveryCode",
    "Role",
    "SiteSetting",
]
