"""Forum pages. Thin: parse the form, call services.forums, render or redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.extensions import db
from app.models import Category, Post, Thread
from app.services import directory, forums, safety, search, sessions
from app.services.errors import DomainError, NotFound
from app.web.forms import ComposeForm, ReasonForm, ReportForm
from app.web.helpers import form_errors, signed_in_required
from app.web.microcache import anonymous_pages

bp = Blueprint("forums", __name__)

_SUPPORT_KEY = "support_panel"


def _me():
    return sessions.current_member()


def _thread_url(thread: Thread, post_id: int | None = None, **kw) -> str:
    anchor = f"p{post_id}" if post_id else None
    return url_for("forums.thread", thread_id=thread.id, slug=forums.slugify(thread.title), _anchor=anchor, **kw)


def _post_url(post: Post) -> str:
    after = forums.post_position(_me(), post)
    return _thread_url(post.thread, post.id, after=after if after else None)


def _remember_support(written: forums.Written | None, screening: safety.Screening, post: Post) -> None:
    """Tell the writer privately, on the next page, what support exists (never shown to others)."""
    if screening.show_support:
        session[_SUPPORT_KEY] = {"post_id": post.id, "level": screening.level,
                                 "peer": screening.offer_peer, "held": screening.hold}
    elif screening.not_assessed:
        flash(_("Kindred's automatic check for people who may need support reads English only, so it "
                "didn't read this post. If you'd like support, choose “I'd like support” under your post."),
              "info")


def _support_panel():
    from app.web.safety import support_context

    data = session.pop(_SUPPORT_KEY, None)
    if not isinstance(data, dict):
        return None
    return {**data, **support_context(int(data.get("level", 0)))}


def _compose(form: ComposeForm | None = None) -> ComposeForm:
    form = form or ComposeForm(formdata=None)
    if not form.submission_key.data:
        form.submission_key.data = forums.new_submission_key()
    return form


def _get_thread(thread_id: int) -> Thread:
    return forums.get_thread_for(_me(), thread_id)


def _get_post(post_id: int) -> Post:
    return forums.get_post_for(_me(), post_id)


# ---------------------------------------------------------------- reading

@bp.get("/c/<slug>")
@anonymous_pages
def category(slug: str):
    cat = forums.category_view_for(_me(), slug)
    page = forums.category_page(_me(), cat, request.args.get("cursor", type=str))
    return render_template("forums/category.html", page=page, category=cat,
                           membership=_membership(cat))


def _membership(cat: Category | forums.CategoryView) -> str | None:
    me = _me()
    if me is None or not cat.is_group:
        return None
    from sqlalchemy import select

    from app.models import GroupMembership

    return db.session.scalar(select(GroupMembership.status).where(
        GroupMembership.category_id == cat.id, GroupMembership.member_id == me.id))


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
@anonymous_pages
def thread(thread_id: int, slug: str | None = None):
    t = forums.thread_view_for(_me(), thread_id)
    page = forums.thread_page(_me(), t, after=request.args.get("after"), before=request.args.get("before"))
    if page.unread_notifications is not None:  # the menu's badge, read with the page (nothing writes after)
        g.kindred_unread_notifications = (_me().id, page.unread_notifications)
    # Only a signed-in reader gets the reply form (and so a CSRF token and a session cookie).
    services = directory.share_choices(_me())
    return render_template("forums/thread.html", page=page, thread=t,
                           reply_fields=_reply_fields(services) if _me() else None,
                           support=_support_panel(), reactions=_reaction_labels(),
                           share_services=services, staff=forums.is_staff(_me()), categories=_move_targets(t))


# The reply form under a thread is always empty: WTForms' widgets cost ~0.45 ms to render it, on
# every page a member reads. It is rendered once per language and list of shareable services,
# with these placeholders where the two values that change go (the CSRF token and the submission
# key), and those are filled in on each page. Neither placeholder can occur in anything else the
# form shows (labels, hints, service names are escaped text without these ASCII runs).
_TOKEN_SLOT, _KEY_SLOT = "KINDRED-CSRF-SLOT-7f3a", "KINDRED-KEY-SLOT-7f3a"
_REPLY_FIELDS_MAX = 200


def _reply_fields(services: list[tuple[int, str]]) -> Markup:
    from flask_wtf.csrf import generate_csrf

    from app.i18n import per_catalog

    made = per_catalog("reply_fields", lambda _t: {})
    key = (request.root_path, tuple(services))
    html = made.get(key)
    if html is None:
        form = ComposeForm(formdata=None)
        form.csrf_token.current_token = _TOKEN_SLOT
        form.submission_key.data = _KEY_SLOT
        html = render_template("forums/_reply_fields.html", form=form, share_services=services)
        if len(made) >= _REPLY_FIELDS_MAX:
            made.clear()
        made[key] = html
    return Markup(html.replace(_TOKEN_SLOT, str(escape(generate_csrf())))
                  .replace(_KEY_SLOT, str(escape(forums.new_submission_key()))))


def _reaction_labels() -> dict[str, Markup]:
    """The reaction buttons' words in the reader's language (the post loop shows them up to four
    times a post): Markup, as the lazy strings were, made once per catalog (resolving the four
    lazy strings cost ~25 µs a page)."""
    from app.i18n import per_catalog

    return per_catalog("reaction_labels",
                       lambda _t: {kind: Markup(str(label)) for kind, label in forums.REACTIONS.items()})


def _move_targets(t: Thread | forums.ThreadView) -> list[Category]:
    if not forums.is_staff(_me()):
        return []
    return [c for c in forums.list_categories(_me()) if c.id != t.category_id]


@bp.get("/p/<int:post_id>")
def permalink(post_id: int):
    return redirect(_post_url(_get_post(post_id)))


# ---------------------------------------------------------------- writing

@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@signed_in_required
def new_thread(slug: str):
    cat = forums.get_category_for(_me(), slug)
    if not forums.can_read_category(_me(), cat):
        raise NotFound(_("There's no such category."))
    form = _compose(ComposeForm() if request.method == "POST" else None)
    preview_html = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            if "preview" in request.form:
                preview_html = forums.preview(form.body.data)
                forums._clean_title(form.title.data)  # say now if the title won't do
            else:
                written = forums.create_thread(_me(), cat, form.title.data, form.body.data,
                                               anonymous=form.anonymous.data,
                                               content_warning=form.content_warning.data,
                                               submission_key=form.submission_key.data)
                _remember_support(written, written.screening, written.post)
                return redirect(_thread_url(written.thread), code=303)
        except DomainError as err:
            form_errors(form, err)
    status = 400 if request.method == "POST" and preview_html is None else 200
    return render_template("forums/new_thread.html", form=form, category=cat, preview=preview_html), status


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@signed_in_required
def reply(thread_id: int):
    t = _get_thread(thread_id)
    if request.method == "GET":
        form = _compose()
        quote_id = request.args.get("quote", type=int)
        if quote_id:
            quoted = forums.get_post_for(_me(), quote_id)
            if quoted.thread_id == t.id and not quoted.deleted_at and not quoted.hidden_at:
                lines = "\n".join(f"> {line}" for line in quoted.body_md.splitlines())
                form.body.data = f"> **{forums.author_label(quoted)}** wrote:\n>\n{lines}\n\n"
        return render_template("forums/reply.html", form=form, thread=t, preview=None,
                               share_services=directory.share_choices(_me()),
                               shared=request.args.get("service", type=int))
    form = _compose(ComposeForm())
    preview_html = None
    service = request.form.get("service", "")
    if form.validate_on_submit():
        try:
            if "preview" in request.form:
                preview_html = forums.preview(form.body.data)
            else:
                written = forums.post_reply(_me(), t, form.body.data, anonymous=form.anonymous.data,
                                            content_warning=form.content_warning.data,
                                            submission_key=form.submission_key.data, service=service)
                _remember_support(written, written.screening, written.post)
                if written.screening.hold:
                    return redirect(_thread_url(t), code=303)
                return redirect(_post_url(written.post), code=303)
        except DomainError as err:
            form_errors(form, err)
    status = 200 if preview_html is not None else 400
    return render_template("forums/reply.html", form=form, thread=t, preview=preview_html,
                           share_services=directory.share_choices(_me()),
                           shared=int(service) if service.isdigit() and len(service) < 12 else None), status


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@signed_in_required
def edit(post_id: int):
    post = _get_post(post_id)
    if post.author_id != _me().id:
        abort(403, description=_("Only the person who wrote a post can edit it."))
    form = ComposeForm() if request.method == "POST" else ComposeForm(
        formdata=None, data={"body": post.body_md, "content_warning": post.content_warning or ""})
    preview_html = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            if "preview" in request.form:
                preview_html = forums.preview(form.body.data)
            else:
                screening = forums.edit_post(_me(), post, form.body.data, form.content_warning.data)
                _remember_support(None, screening, post)
                flash(_("Your post is updated."), "success")
                return redirect(_post_url(post), code=303)
        except DomainError as err:
            form_errors(form, err)
    status = 400 if request.method == "POST" and preview_html is None else 200
    return render_template("forums/edit.html", form=form, post=post, preview=preview_html), status


@bp.post("/compose/check")
@signed_in_required
def compose_check():
    """The composer asks, as the member types (debounced), whether the draft could identify
    someone. Nothing is stored or logged."""
    from flask import jsonify

    from app.services import identify

    data = request.get_json(silent=True)
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, str) or len(body) > forums.BODY_MAX:
        return jsonify(ok=False, error="Send the draft as {\"body\": \"...\"}, at most 20,000 characters."), 400
    return jsonify(ok=True, identifying=identify.warnings(body))


@bp.post("/p/<int:post_id>/delete")
@signed_in_required
def delete(post_id: int):
    post = _get_post(post_id)
    thread_ = post.thread
    forums.delete_own_post(_me(), post)
    flash(_("Your post is deleted."), "success")
    if thread_.deleted_at:
        return redirect(url_for("forums.category", slug=thread_.category.slug), code=303)
    return redirect(_thread_url(thread_), code=303)


@bp.post("/p/<int:post_id>/react")
@signed_in_required
def react(post_id: int):
    post = _get_post(post_id)
    forums.toggle_reaction(_me(), post, request.form.get("kind"))
    return redirect(_post_url(post), code=303)


@bp.post("/p/<int:post_id>/bookmark")
@signed_in_required
def bookmark(post_id: int):
    post = _get_post(post_id)
    on = forums.toggle_bookmark(_me(), post)
    flash(_("Bookmarked.") if on else "Bookmark removed.", "success")
    return redirect(_post_url(post), code=303)


@bp.post("/t/<int:thread_id>/follow")
@signed_in_required
def follow(thread_id: int):
    t = _get_thread(thread_id)
    on = request.form.get("follow") == "1"
    forums.set_following(_me(), t, on)
    flash(_("You'll be told about new replies.") if on else "You won't be told about new replies.", "success")
    return redirect(_thread_url(t), code=303)


@bp.route("/p/<int:post_id>/report", methods=["GET", "POST"])
@signed_in_required
def report(post_id: int):
    post = _get_post(post_id)
    form = ReportForm()
    form.reason.choices = safety.report_reason_choices()
    if form.validate_on_submit():
        try:
            safety.report_post(_me(), post, form.reason.data, form.note.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Thank you. The moderators will look at it; the writer won't know who reported it."), "success")
            return redirect(_post_url(post), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("forums/report.html", form=form, post=post,
                           author=forums.author_label(post)), status


# ---------------------------------------------------------------- moderation

@bp.post("/t/<int:thread_id>/moderate")
@signed_in_required
def moderate_thread(thread_id: int):
    t = _get_thread(thread_id)
    forums.moderate_thread(_me(), t, request.form.get("action"), request.form.get("reason"))
    flash(_("Done. The writer has been told, and it's in the audit log."), "success")
    if t.deleted_at:
        return redirect(url_for("forums.category", slug=t.category.slug), code=303)
    return redirect(_thread_url(t), code=303)


@bp.post("/t/<int:thread_id>/move")
@signed_in_required
def move_thread(thread_id: int):
    t = _get_thread(thread_id)
    target = db.session.get(Category, request.form.get("category", type=int) or 0)
    if target is None:
        raise NotFound(_("There's no such category."))
    forums.move_thread(_me(), t, target, request.form.get("reason"))
    flash(_("Moved to %(name)s.", name=target.name), "success")
    return redirect(_thread_url(t), code=303)


@bp.route("/p/<int:post_id>/moderate", methods=["GET", "POST"])
@signed_in_required
def moderate_post(post_id: int):
    post = _get_post(post_id)
    form = ReasonForm()
    if not forums.is_staff(_me()):
        abort(403, description=_("Only peer supporters, facilitators and admins can moderate."))
    action = request.values.get("action", "")
    if action not in forums.POST_ACTIONS:
        abort(400, description=_("Choose an action."))
    if form.validate_on_submit():
        try:
            forums.moderate_post(_me(), post, action, form.reason.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Done. The writer has been told, and it's in the audit log."), "success")
            return redirect(_thread_url(post.thread), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("forums/moderate_post.html", form=form, post=post, action=action,
                           author=forums.author_label(post)), status


@bp.get("/p/<int:post_id>/history")
@signed_in_required
def history(post_id: int):
    post = _get_post(post_id)
    return render_template("forums/history.html", post=post, revisions=forums.revisions(_me(), post),
                           author=forums.author_label(post))


@bp.route("/p/<int:post_id>/reveal", methods=["GET", "POST"])
@signed_in_required
def reveal(post_id: int):
    post = _get_post(post_id)
    from app.services import permissions

    permissions.require_admin(_me())
    form = ReasonForm()
    revealed = None
    if form.validate_on_submit():
        try:
            member = forums.reveal_author(_me(), post, form.reason.data)
            revealed = member.pseudonym if member else forums.deleted_label()
        except DomainError as err:
            form_errors(form, err)
    status = 400 if request.method == "POST" and revealed is None else 200
    return render_template("forums/reveal.html", form=form, post=post, revealed=revealed,
                           author=forums.author_label(post)), status


@bp.get("/mod/held")
@signed_in_required
def held():
    return render_template("forums/held.html", posts=forums.held_posts(_me()))


# ---------------------------------------------------------------- groups

@bp.post("/c/<slug>/join")
@signed_in_required
def join_group(slug: str):
    cat = forums.get_category_for(_me(), slug)
    status = forums.request_to_join(_me(), cat)
    flash(_("You're a member.") if status == "approved" else
          _("Your request is sent. A facilitator will look at it soon."), "success")
    return redirect(url_for("forums.category", slug=slug), code=303)


@bp.post("/c/<slug>/leave")
@signed_in_required
def leave_group(slug: str):
    cat = forums.get_category_for(_me(), slug)
    forums.leave_group(_me(), cat)
    flash(_("You've left the group."), "success")
    return redirect(url_for("forums.category", slug=slug), code=303)


@bp.route("/c/<slug>/members", methods=["GET", "POST"])
@signed_in_required
def group_members(slug: str):
    cat = forums.get_category_for(_me(), slug)
    if request.method == "POST":
        member_id = request.form.get("member_id", type=int)
        decision = request.form.get("decision")
        if member_id is None or decision not in ("approve", "decline"):
            abort(400, description=_("Choose a member and a decision."))
        forums.decide_membership(_me(), cat, member_id, decision == "approve")
        flash(_("Saved."), "success")
        return redirect(url_for("forums.group_members", slug=slug), code=303)
    return render_template("forums/group_members.html", category=cat, rows=forums.group_requests(_me(), cat))


# ---------------------------------------------------------------- search, bookmarks, notifications

@bp.get("/search")
def search_page():
    q = request.args.get("q", "", type=str)
    if len(q) > 200:
        abort(400, description=_("Search for at most 200 characters."))
    category_slug = request.args.get("category", "", type=str)[:64]
    author = request.args.get("author", "", type=str)[:64]
    offset = request.args.get("offset", 0, type=int)
    cats = [c for c in forums.list_categories(_me()) if forums.can_read_category(_me(), c)]
    cat = next((c for c in cats if c.slug == category_slug), None)
    hits, more = search.search(_me(), q, cat.id if cat else None, author or None, offset) if q.strip() else ([], False)
    return render_template("forums/search.html", q=q, hits=hits, more=more, offset=offset,
                           categories=cats, category=category_slug, author=author)


@bp.get("/bookmarks")
@signed_in_required
def bookmarks():
    return render_template("forums/bookmarks.html", rows=forums.bookmarks(_me()), label=forums.author_label)


@bp.get("/notifications")
@signed_in_required
def notifications():
    rows = forums.notifications(_me())
    return render_template("forums/notifications.html", rows=rows)


@bp.post("/notifications/read")
@signed_in_required
def notifications_read():
    forums.mark_notifications_read(_me())
    return redirect(url_for("forums.notifications"), code=303)
