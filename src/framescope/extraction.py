"""Statements in news articles: direct quotes, partial quotes and reported speech, with their
speakers, found by regular expressions and hand-written rules (standard library only).

``extract_statements(article_text)`` returns ``Statement``s in article order. Offsets are
into the article: ``statement.text == article_text[statement.start:statement.end]``.

Rules (the gold format they target: data/articles-v1/ANNOTATION.md):

* Quotes: curly (“ ”) and straight (") double quotes; single quotes (‘ ’ or ') inside them
  are part of the quote. A paragraph that opens a quote and does not close it continues in
  the next paragraph when that one opens with a quote mark (one statement over several
  paragraphs); otherwise the quote ends with its paragraph.
* direct: a quote that opens a sentence, follows a colon ("X said: "..."), follows a comma
  after an attribution or a first quote ("A," she said, "b."), or follows a chanting verb
  ("protesters chanted "..."") and starts like a sentence, attributed by the words after it
  (", said X", ", X said", " she asked") or before it ("X told reporters:", "More from X:").
  A quote after "chanted "A" and" is chanted too; a chant's speaker is the group noun just
  before the verb ("as protesters chanted") or, failing a named subject, the last group noun
  of the sentence. A quote that stands alone as a sentence right after another statement
  (same or previous paragraph) is that speaker's, and so is a quote that opens the paragraph
  after a sentence ending "X said:" (also over several paragraphs). Span: inside the marks,
  trailing ",.;:" and spaces removed.
* partial / indirect: "X said (that) CLAUSE", with told/warned + object ("told reporters"),
  adverbials before "that" ("said in a statement that"), the verbs said, told, warned,
  claimed, insisted, added, argued, stressed, maintained, alleged, asserted, contended and,
  with "that" only, denied, confirmed, noted, admitted, acknowledged, announced, explained,
  predicted, promised; "according to X, CLAUSE", "CLAUSE, according to X", "CLAUSE, X said",
  "CLAUSE, said X, a nurse", "CLAUSE, X told the Courier", "..., saying (that) CLAUSE" (the
  sentence's subject speaks; also ", promising that", ", telling parliament that", "issued a
  statement saying"), "..., with X saying (that) CLAUSE", passives ("it was reported by X
  that", "were told by the regional governor, X, that", "by X last week that"), "according to
  figures released by X", "according to X, which organised ...", and "CLAUSE, her lawyer, X,
  said" (the apposition is not in the clause). A verb that
  needs "that" also takes a clause without it when a determiner or pronoun and an auxiliary
  follow ("vowed the rioters would face ..."); "said in a statement it ..." skips the
  adverbial; "told a brief plenary session that" skips the audience and "claimed, without
  offering evidence, that" the aside. "said A and that B" is ONE statement (one speech verb);
  "claimed A and insisted B" gives two, and ", and X said B" gives one of X; a verb that is
  not speech ends the clause ("and called for calm", "but urged ..."). "X, who promised in
  August that A, told the Post that B" gives two statements of X. ", adding (that) CLAUSE"
  (also noting, stressing, insisting, arguing, warning, promising, claiming) adds a second
  statement of the same speaker (after a direct quote too), and "..., according to X, which
  said CLAUSE" one of X. A person named at the start of a reported clause is remembered for
  later surname references. Span: the clause without "that", without the final period and
  without a journalist's comment after it (", a figure that cannot be verified"); a full
  stop inside a closing mark ('... a "sovereign state."') ends it at the last word; partial
  when the clause holds a quote, indirect otherwise.
* Subjects: "..., where the authorities say", "In an interview she claimed" (the noun phrase
  after the conjunction, the pronoun after the adverbial). A verb used as a noun is not
  speech: "dismissed the claims", "That claim is ...", ", announced in the Budget," and
  "agreed to send troops".
* Openers skipped before a subject: datelines ("NURABAD, 8 January (TNNA) --", "CITY,
  Country, Oct 6 (AGENCY) -", "CITY, Country (AGENCY) -", "RANIPUR, November 12 (VNNS):"),
  timestamps with or without a dash ("09:40 "), "And"/"But", times without a comma ("Last
  night a source told ..."),
  adverbial chunks ("On Tuesday, ") and participle chunks ("Addressing the House, "), but
  never a chunk with an auxiliary ("At least nine people were hurt, ..." is the reported
  clause) unless it opens with "Asked", "When", "If", "where" and the like ("Asked whether
  the vote would be delayed, he said") or with a participle ("Speaking at a conference at
  which rifles were displayed, "), which may be followed by an apposition ("Speaking at
  Palazzo Verano, her residence, X said"). A subject never holds an auxiliary before its
  first comma.
* Sentences end at ".", "!", "?", at ";" and at a line break inside a paragraph (live-blog
  bullets), so a clause never runs past them. "warned the decree "would ..."" has no
  object; ", citing ..." and "and declined to ..." are not part of a clause.
* Not extracted: quotes inside narration without a speech verb (scare quotes), headlines,
  "X accused Y of ...", predictions ("will say"), "No group has claimed ...", "Reports said",
  questions and sentences without an attribution.
* Speakers: see attribution.py (names at their fullest, pronouns, surnames, "the ministry").

Known limits: one reported clause per sentence besides the second-verb / "adding" / "which
said" / ", and X said" ones (the first speech verb whose subject is a noun phrase); reported
speech inside a sentence that also has a direct quote is skipped; passives without "by X"
("it was announced that") have no speaker and are skipped; a quote whose attribution sits in
the next sentence only ("'...' The remark came from X") goes to the previous speaker or is
missed, except "He gave his name as X" / "She was X, a nurse", which names the unnamed
speaker before it; nested double quotes inside double quotes are not supported; British
single-quote articles (‘...’ as the outer quote) are not read as quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .attribution import GROUP_NOUNS, TIME_OPENER, Entity, SpeakerBook

__all__ = ["Statement", "extract_statements"]


@dataclass(frozen=True)
class Statement:
    """One attributed statement: ``text == article[start:end]``; ``kind`` is direct,
    partial or indirect; ``speaker`` the fullest name (or organisation, group, description)
    and ``speaker_description`` its role; ``cue`` the attribution verb when one was seen."""

    text: str
    start: int
    end: int
    kind: str
    speaker: str
    speaker_description: str = ""
    cue: str = ""


REPORT_VERBS = (
    "say|says|said|tell|tells|told|warn|warns|warned|claim|claims|claimed|insist|insists|"
    "insisted|add|adds|added|argue|argues|argued|stress|stresses|stressed|maintain|maintains|"
    "maintained|allege|alleges|alleged|assert|asserts|asserted|contend|contends|contended|"
    "emphasised|emphasized|reiterated|declared|reported|believes|believed|estimated|"
    "deny|denies|denied|confirm|confirms|confirmed|note|notes|noted|admit|admits|admitted|"
    "acknowledge|acknowledges|acknowledged|announce|announces|announced|explain|explains|"
    "explained|predict|predicts|predicted|promise|promises|promised|suggest|suggests|"
    "suggested|conceded|concedes|pledged|vowed|wrote|writes|recalled|complained|agreed|"
    "countered|replied|responded|observed|cautioned|conceded|stated|states|reminded|reminds|"
    "assured|informed|fumed|repeated|repeats"
)
NEEDS_THAT = set(
    "deny denies denied confirm confirms confirmed note notes noted admit admits admitted "
    "acknowledge acknowledges acknowledged announce announces announced explain explains "
    "explained predict predicts predicted promise promises promised suggest suggests "
    "suggested conceded concedes pledged vowed wrote writes recalled complained agreed "
    "countered replied responded observed reported estimated believed believes declared "
    "stated states reminded reminds assured informed fumed repeated repeats".split()
)
QUOTE_VERBS = (
    REPORT_VERBS + "|asked|asks|chanted|chant|chanting|shouted|shouting|fumed|snapped|"
    "screamed|cried|sang|singing|yelled|exclaimed|continued|joked|sighed|tweeted|posted|"
    "wrote|read|reads|urged|pleaded|demanded|recalled|went on|laughed|whispered|grinned|"
    "smiled|roared|quipped|boasted|raged|blasted|thundered|beamed|scoffed|sneered|mused|"
    "hit back|fired back|shot back|stormed|gushed|wept|sobbed|bellowed|chimed in|put it"
)
CHANT_VERBS = r"(?:chant(?:ed|ing|s)?|shout(?:ed|ing|s)?|sang|singing|sing|chanted|yelled|cried)"
_AUX = (
    r"(?<!\bwas )(?<!\bwere )(?<!\bbeen )(?<!\bis )(?<!\bbe )"
    r"(?:(?:has|have|had|would|also|later|earlier|then|again|"
    r"repeatedly|previously|once|further|publicly|privately|reportedly|even|now|still|"
    r"just|only|quickly|immediately|swiftly|flatly|firmly|yesterday|today)\s+)*"
)
_REPORT = re.compile(rf"\b{_AUX}({REPORT_VERBS})\b")
_QUOTE_VERB = re.compile(rf"^(?:{QUOTE_VERBS})$")
_AFTER_VERB_FIRST = re.compile(rf"^{_AUX}({QUOTE_VERBS})\s+(.+)$", re.S)
_AFTER_SUBJECT_FIRST = re.compile(rf"^(.+?)\s+{_AUX}({QUOTE_VERBS})\b(.*)$", re.S)
_ADVERBIAL = (
    r"(?:on|in|at|late|early|earlier|later|last|this|during|after|before|to|via|by|over|"
    r"from|yesterday|today|tonight|again|also|repeatedly|previously|publicly|privately|"
    r"recently|once|afterwards?|in\s+a|in\s+an)\b"
)
_THAT_AFTER_ADVERBIAL = re.compile(
    rf"^\s*(?:{_ADVERBIAL}[^,\"“”:;]{{0,70}}?(?:,\s+[A-Z][^,\"“”:;]{{0,30}},)?\s)?that\s+"
)
# "according to the headteacher, Alena Drobna, ...": a name in apposition
_NAME_APPOSITION = r"[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+){1,3}"
_NOUN_BEFORE = re.compile(
    r"(?:^|\s)(?:the|a|an|these|those|such|last|its|their|our|his|her)$", re.I
)
_THAT_AFTER_OBJECT_RE = re.compile(r"^[^,;:\"\u201c\u201d]{0,70}?\sthat\s+")


def _that_after_object(rest: str) -> re.Match | None:
    """ "that" after an audience ("a brief plenary session that"), not after a clause ("the
    Beacon her federation does not support ... but warned that")."""
    match = _THAT_AFTER_OBJECT_RE.match(rest)
    if match and (
        _AUXILIARY.search(match.group(0)) or re.search(r"\b(?:and|but|not)\b", match.group(0))
    ):
        return None
    return match


_TIME = re.compile(
    r"^\s*(?:(?:late |early )?(?:on |last |this )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|week|month|year|night|morning|afternoon|evening|weekend)|yesterday|"
    r"today|tonight|earlier|later|again|also|repeatedly|previously)\b,?\s+"
)
_OBJECT_VERBS = {
    "tell", "tells", "told", "warn", "warns", "warned", "reminded", "reminds", "assured",
    "informed",
}  # fmt: skip
_CLAUSE_START = set(
    "the a an he she it they we i you there this these those his her its their our no every "
    "all some most many police people nobody none nothing one two three any each".split()
)
_BAD_CLAUSE_START = re.compile(
    r"^(?:to|of|about(?!\s+\d)|for|with|so|yes|no(?=\W*$|\s*[,.;])|goodbye|hello|"
    r"(?:nothing|little|much|anything|something)(?!\s+(?:\w+\s+)?(?:had|has|was|is|would|will|"
    r"could|can|occurred|happened|changed|unusual|improper|wrong)\b)|"
    r",)\b",
    re.I,
)
_INTRO_WORDS = set(
    "on in at after asked speaking later earlier meanwhile however yesterday last this but "
    "and separately since during before when while also still instead elsewhere today tonight "
    "by from writing responding answering late early".split()
)
_DATELINE = re.compile(
    r"\s*(?:[A-Z][A-Z .'-]{2,}(?:,\s*[A-Z][a-z]+(?=,|\s*\())?"
    r"(?:,\s*(?:[A-Z][a-z]{2,}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,}\.?))?\s*(?:\([^)]*\))?\s*"
    r"[-\u2014\u2013:]+\s*|\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[-\u2014\u2013:]\s*|\s+(?=[A-Z\"\u201c])))"
)
_ABBREVIATIONS = set(
    "mr mrs ms dr prof gen col capt lt sgt maj gov sen rep st jan feb mar apr jun jul aug sep "
    "sept oct nov dec no vs adm cmdr rev insp supt jr sr co corp inc ltd dept fig approx".split()
)
# openers whose chunk is skipped even with an auxiliary ("Asked whether X would ..., he said")
_SUBORDINATORS = set("asked pressed when while if although though because unless where".split())
_AUXILIARY = re.compile(
    r"\b(?:is|are|was|were|has|have|had|been|will|would|could|should|can|must|might|do|does|"
    r"did)\b"
)
_CLAUSE_JOIN = re.compile(r",\s+(?:and|but|while|as|although|though|because|so|yet)\s+")
_MEDIUM = re.compile(
    r"\s*(?:in|on|during|at)\s+(?:a|an|the|his|her|its|their)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:statement|interview|address|post|speech|letter|briefing|broadcast|message)\s+"
)
_MORE_FROM = re.compile(r"(?:^|\s)(?:[Mm]ore|[Ff]urther|[Aa]nd)?\s*[Ff]rom\s+([^,:;]{2,60}):$")
# participles that report a second statement: ", adding that", ", noting only that"
_REPORTING = "adding|noting|stressing|insisting|arguing|warning|promising|claiming"
_ADDING = re.compile(rf",\s+(?:{_REPORTING})\s+(?:only\s+)?(?:that\s+)?")
_WHICH_SAID = re.compile(
    rf",\s+(?:which|who)\s+{_AUX}(said|told\s+\w+|warned|added|claimed|insisted|stressed)\s+"
    r"(?:that\s+)?"
)
_COMMENT = re.compile(
    r",\s+(?:a|an)\s+(?:claim|assertion|figure|number|estimate|allegation|charge|account|"
    r"version|statement|accusation)\s+(?:that|which|for\s+which|not|yet|he|she|they|it|the)\b"
    r"|,\s+citing\b"
)
# "claimed A and insisted B": a second verb of the same speaker
_AND_VERB = re.compile(
    r",?\s+(?:and|but)\s+(?:also\s+)?(said|insisted|claimed|warned|added|stressed|argued|"
    r"maintained|suggested|noted|promised|vowed)\s+(?:that\s+)?"
)
# ", and Oleg Martyn, the chamber's chairman, said B": B is another speaker's
_AND_SUBJECT = re.compile(
    r",\s+(?:and|while|but)\s+((?:[A-Z]|the\s|a\s|an\s)[^,;:]{1,60}?(?:,\s+[^,;:]{2,80},)?)\s+"
    r"(said|says|told\s+\w+|warned|claimed|insisted|added|argued|stressed)\s+(?:that\s+)?"
)
# a verb that is not speech ends a reported clause: "said A and called for calm"
_AND_OTHER = re.compile(
    r",?\s+(?:and|but)\s+(?:also\s+)?(?:accused|called|urged|appealed|asked|demanded|blamed|"
    r"invited|announced|ordered|declined|refused)\b"
)
_PASSIVE = re.compile(
    r"\b(?:was|were|has\s+been|had\s+been|have\s+been|is|are)\s+"
    r"(told|informed|reported|announced|stated|claimed|said|assured|warned)\s+"
    r"by\s+([^;:\"\u201c\u201d]{2,160}?),?\s+that\s+"
)
# ", saying (that)", ", promising that", "issued a statement saying", ", telling X that"
_PARTICIPLE_SPEECH = re.compile(
    rf"(?:,\s+|\bstatement\s+)(saying|{_REPORTING}|telling)\s+(?:that\s+)?"
)
_WITH_SAYING = re.compile(r"\bwith\s+([^,;:]{2,60}?)\s+saying\s+(?:that\s+)?")
# "according to figures released by X": X is the source
_SOURCE = (
    r"(?:(?:(?:final|official|preliminary|latest|new)\s+)?"
    r"(?:figures|data|estimates|(?:a\s+|the\s+)?statement|a\s+report|a\s+count)\s+"
    r"(?:released\s+|published\s+|issued\s+|compiled\s+)?(?:by|from)\s+)?"
)
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(
    r"[.!?][\"\u201d\u2019')]*\s+(?=[A-Z\"\u201c\u2018'(\d])|;\s+|(?<=\S)[ \t]*\n[ \t]*(?=\S)"
)
_OPENERS = '\u201c\u201e"'
_FILL = "x"


@dataclass(frozen=True)
class _Quote:
    open: int  # the opening mark
    close: int  # the closing mark (or the end of the paragraph when none)
    start: int  # the statement span inside the marks
    end: int


@dataclass
class _Found:
    start: int
    end: int
    kind: str
    entity: Entity
    cue: str


def _paragraph_end(text: str, pos: int) -> int:
    match = _PARAGRAPH.search(text, pos)
    return match.start() if match else len(text)


def _at_paragraph_start(text: str, pos: int) -> bool:
    before = text[:pos]
    return not before.strip() or bool(re.search(r"\n[ \t]*\n[ \t]*$", before))


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in ",.;: \t\n\u2014\u2013-":
        end -= 1
    return start, end


def find_quotes(text: str) -> list[_Quote]:
    """Double-quoted passages, multi-paragraph quotes joined (see the module docstring)."""
    quotes: list[_Quote] = []
    open_at: int | None = None
    last_open = 0

    def emit(close: int) -> None:
        start, end = _span(text, open_at + 1, close)
        if end > start:
            quotes.append(_Quote(open_at, close, start, end))

    for match in re.finditer(r"[\u201c\u201d\u201e\"]", text):
        pos, mark = match.start(), match.group(0)
        if open_at is not None and _PARAGRAPH.search(text, last_open, pos):
            if mark in _OPENERS and _at_paragraph_start(text, pos):
                last_open = pos  # the quote goes on in this paragraph
                continue
            emit(_paragraph_end(text, last_open))
            open_at = None
        if open_at is None:
            if mark != "\u201d":
                open_at = last_open = pos
            continue
        if mark in "\u201c\u201e":  # an opener inside a quote: the earlier one was stray
            open_at = last_open = pos
            continue
        emit(pos)
        open_at = None
    if open_at is not None:
        emit(_paragraph_end(text, last_open))
    return quotes


def _masked(text: str, quotes: list[_Quote]) -> str:
    """``text`` with each quote's inside replaced by filler (its last character kept), so
    that sentence and clause rules never look into quotes; same length as ``text``."""
    chars = list(text)
    for q in quotes:
        for i in range(q.open + 1, max(q.close - 1, q.open + 1)):
            chars[i] = _FILL
    return "".join(chars)


def _sentences(masked: str) -> list[tuple[int, int]]:
    spans = []
    for para in re.finditer(r"(?:(?!\n[ \t]*\n).)+", masked, re.S):
        start = para.start()
        for end_match in _SENTENCE_END.finditer(masked, para.start(), para.end()):
            word = re.search(r"([A-Za-z]+)\.?$", masked[start : end_match.start() + 1])
            if masked[end_match.start()] == "." and word:
                w = word.group(1)
                initial = len(w) == 1 and w.isupper()
                if initial and re.search(
                    r"\b(?:on|via) X\.$", masked[start : end_match.start() + 1]
                ):
                    initial = False  # "posted on X." ends a sentence
                if w.lower() in _ABBREVIATIONS or initial:
                    continue
            spans.append((start, end_match.end()))
            start = end_match.end()
        if masked[start : para.end()].strip():
            spans.append((start, para.end()))
    spans = [(s + len(masked[s:e]) - len(masked[s:e].lstrip()), e) for s, e in spans]
    return [(s, e) for s, e in spans if s < e]


def _strip_intro(m: str, start: int, end: int) -> int:
    """Skip a dateline or timestamp and leading adverbial chunks ("On Tuesday, ")."""
    match = _DATELINE.match(m, start, end)
    if match:
        start = match.end()
    while True:
        conjunction = re.match(r"(?:And|But|So|Yet)\s+(?=[^,\s])", m[start:end])
        if conjunction:  # "And café owner X, 44, said": the conjunction only
            start += conjunction.end()
            continue
        time = TIME_OPENER.match(m, start, end)
        if time and re.match(r"[a-z][\w-]*\s", m[time.end() : end]):
            # "Last night a government source told ...": no comma after the time (but "On
            # Wednesday evening, ..." is a chunk, skipped below)
            start = time.end()
        comma = m.find(", ", start, end)
        if comma < 0:
            return start
        chunk = m[start:comma]
        first = chunk.split()
        if not first:
            return start
        opener = first[0].lower()
        # "Speaking at ...", not "Housing Minister X" (a noun in -ing before a capital)
        participle = (
            first[0][:1].isupper()
            and opener.endswith("ing")
            and opener != "according"
            and (len(first) < 2 or not first[1][:1].isupper())
        )
        # "Speaking at a conference at which rifles were displayed, ": the auxiliary sits in a
        # relative clause; "Rationing in most districts is set to continue, ..." is a clause
        relative = re.search(r"\b(?:which|who|whom|where|that|when)\b.*", chunk)
        aux_in_relative = (
            participle and relative and not _AUXILIARY.search(chunk[: relative.start()])
        )
        if _AUXILIARY.search(chunk) and opener not in _SUBORDINATORS and not aux_in_relative:
            return start
        if opener not in _INTRO_WORDS and not participle and opener != "where":
            return start
        start = comma + 2
        apposition = re.match(r"(?:her|his|its|their|the|a|an)\s[^,]{2,50},\s+(?=\S)", m[start:end])
        if participle and apposition:  # "Speaking at Palazzo Verano, her residence, X said"
            start += apposition.end()


_VERBISH = set(
    "is are was were has have had will would can could spoke speaks went came took made gave "
    "met began left led leads runs ran held holds stood sat got heads chairs arrived put hit "
    "shot did does do laid sent brought kept set won lost spent sought paid drove flew fled rose "
    "fell threw struck broke chose became remains remained appeared seemed stayed".split()
)


def _object_end(rest: str) -> int | None:
    """Where the object of "told"/"warned" ends ("told state television | the ..."): a
    determiner and capitalised words ("the Gazette"), or lowercase words up to the first
    word that can open a clause."""
    words = list(re.finditer(r"[^\s,:;]+", rest))
    if not words:
        return None
    determiner = words[0].group(0).lower() in ("the", "a", "an")
    taken = words[0].end() if not determiner else None
    for i, match in enumerate(words[1:], start=1):
        word = match.group(0)
        low = word.lower()
        if determiner and i == 1:
            taken = match.end()
            continue
        if low in _CLAUSE_START or low == "that" or re.match(_ADVERBIAL, low) or i > 4:
            break
        if word[:1].isupper() != (determiner or words[0].group(0)[:1].isupper()):
            break
        taken = match.end()
    return taken


def _looks_like_clause(rest: str) -> bool:
    """True when words after a verb open a clause without "that" ("vowed the rioters would
    face ..."): a determiner or pronoun, then an auxiliary within six words."""
    words = rest.split()
    return (
        bool(words)
        and words[0].lower() in _CLAUSE_START
        and bool(_AUXILIARY.search(" ".join(words[1:7])))
    )


def _leading_np(m: str, start: int, end: int) -> str:
    """The noun phrase that opens a sentence: the words before the first verb-like word."""
    start = _strip_intro(m, start, end)
    words = []
    for word in m[start:end].split():
        bare = word.strip(",;:")
        low = bare.lower()
        if words and (
            low in _VERBISH
            or (
                bare.islower()
                and low != "hundred"
                and (low.endswith("ed") or _QUOTE_VERB.match(low))
            )
        ):
            return " ".join(words)
        words.append(word)
        if word.endswith((";", ":")) or len(words) > 16:
            return ""
        if word.endswith(",") and len(words) > 14:
            return ""
    return ""


class _Extractor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.quotes = find_quotes(text)
        self.masked = _masked(text, self.quotes)
        self.book = SpeakerBook()
        self.found: list[_Found] = []
        self.last: tuple[Entity, int] | None = None  # the latest speaker and its paragraph
        self._chanted = False  # the quote being read follows a chanting verb
        # a sentence that ends "X said:" with its quote in the next paragraph: (speaker, cue,
        # paragraph)
        self.colon: tuple[Entity, str, int] | None = None

    def paragraph(self, pos: int) -> int:
        return len(_PARAGRAPH.findall(self.text, 0, pos))

    def add(self, start: int, end: int, kind: str, entity: Entity, cue: str) -> None:
        start, end = _span(self.text, start, end)
        if end <= start:
            return
        self.found.append(_Found(start, end, kind, entity, cue))
        self.last = (entity, self.paragraph(start))

    def run(self) -> list[Statement]:
        for start, end in _sentences(self.masked):
            self.book.note_organisations(self.masked[start:end], start)
            body_end, tail = self._tail_clause(start, end)
            quotes = [q for q in self.quotes if start <= q.open < body_end]
            before = len(self.found)
            spoke = self.direct(start, body_end, quotes) or self.reported(start, body_end, quotes)
            if tail is not None:
                c_start, entity, cue = tail
                if entity is None and len(self.found) > before:
                    entity = self.found[-1].entity  # ", adding that ...": the same speaker
                if entity is not None:
                    self.clause(c_start, end, entity, cue)
                    spoke = True
                elif not spoke:
                    spoke = self.reported(start, end, quotes)
            colon = self.colon
            self.colon = None
            if not spoke and not quotes and self.masked[start:end].rstrip().endswith(":"):
                hit = self._before(start, self.masked.rindex(":", start, end) + 1)
                if hit is not None:
                    self.colon = (hit[0], hit[1], self.paragraph(start))
                    continue
            if colon is not None and any(f.entity is colon[0] for f in self.found[before:]):
                self.colon = colon  # a quote over several paragraphs after "X said:"
            if not spoke:
                np = _leading_np(self.masked, start, end)
                if np:
                    self.book.resolve(np, start, note_only=True)
                if not (self.last and self.book.rename(self.last[0], self.masked[start:end])):
                    self.book.note_people(self.masked[start:end], start)
        return [
            Statement(
                self.text[f.start : f.end],
                f.start,
                f.end,
                f.kind,
                f.entity.name,
                f.entity.description,
                f.cue,
            )
            for f in sorted(self.found, key=lambda f: f.start)
        ]

    def _tail_clause(self, start: int, end: int) -> tuple[int, tuple | None]:
        """A second reported clause that closes the sentence: ", adding (that) CLAUSE" (the
        speaker of what comes before) or ", which said (that) CLAUSE" after a speaker ("...,
        according to the ministry, which said ..."). Returns where the sentence's body ends
        and (clause start, speaker or None, cue), or (end, None)."""
        m = self.masked
        adding = _ADDING.search(m, start, end)
        if adding:
            return adding.start(), (adding.end(), None, "adding")
        which = _WHICH_SAID.search(m, start, end)
        if which:
            comma = m.rfind(",", start, which.start())
            np = re.sub(r"^\s*(?:according to|by)\s+", "", m[comma + 1 : which.start()])
            entity = self.book.resolve(np, which.start()) if comma >= start else None
            if entity is not None:
                return which.start(), (which.end(), entity, which.group(1))
        return end, None

    def clause(
        self, c_start: int, c_end: int, entity: Entity, cue: str, *, after_verb: bool = True
    ) -> bool:
        """Add the reported clause ``c_start:c_end`` (partial when it holds a quote). "said A
        and that B" is one statement; a second speech verb starts another ("claimed A and
        insisted B"), of another speaker when it has its own subject (", and X said B"); a
        verb that is not speech ends the clause ("and called for calm")."""
        m = self.masked
        c_start, c_end = _span(self.text, c_start, c_end)
        for cut in (_COMMENT, _AND_OTHER):
            found = cut.search(m, c_start, c_end)
            if found:
                c_end = found.start()
        inside = re.search(r"[.,;:][\"\u201d]\s*$", self.text[c_start:c_end])
        if inside and any(c_start <= q.open < c_end for q in self.quotes):
            c_end = c_start + inside.start()  # '... a "sovereign state."' ends at "state"
        if c_end - c_start < 8 or (after_verb and _BAD_CLAUSE_START.match(m[c_start:c_end])):
            return False
        parts = [(c_start, entity, cue)]
        ends = []
        for join in _AND_VERB.finditer(m, c_start, c_end):
            ends.append(join.start())
            parts.append((join.end(), entity, join.group(1)))
        other = _AND_SUBJECT.search(m, c_start, c_end)
        if other and other.start() > parts[-1][0]:
            speaker = self.book.resolve(other.group(1), other.start(1))
            if speaker is not None:
                ends.append(other.start())
                parts.append((other.end(), speaker, other.group(2)))
        ends.append(c_end)
        for (a, who, verb), b in zip(parts, ends):
            quoted = any(a <= q.open < b for q in self.quotes)
            self.add(a, b, "partial" if quoted else "indirect", who, verb)
        # a person named at the clause's start ("President X accepted ..., his office said") is
        # recorded for later surname references, ranked before the speaker for pronouns
        np = _leading_np(m, c_start, c_end)
        if np:
            self.book.resolve(np, min(c_start, entity.last - 1), note_only=True)
        return True

    # ----------------------------------------------------------------- direct quotes
    def _standalone(self, prev_end: int, q: _Quote, first: bool) -> bool:
        before = self.masked[prev_end : q.open].strip()
        inner = self.text[q.start : q.end]
        starts_upper = bool(re.match(r"[A-Z0-9\u2018'\u2026.]", inner))
        if not before or before.endswith(":") or _DATELINE.fullmatch(before + " "):
            return True
        if before.endswith(","):
            return starts_upper or not first
        if re.search(rf"\b{CHANT_VERBS}$", before) and starts_upper:
            return True
        return before in ("and", "or") and not first and self._chanted

    def _mark_chant(self, prev_end: int, q: _Quote) -> None:
        """Remember whether quote ``q`` follows a chanting verb (for "chanted "A" and "B"")."""
        before = self.masked[prev_end : q.open].strip()
        if re.search(rf"\b{CHANT_VERBS}$", before):
            self._chanted = True
        elif before not in ("and", "or"):
            self._chanted = False

    def direct(self, start: int, end: int, quotes: list[_Quote]) -> bool:
        m = self.masked
        standalone = []
        prev_end = _strip_intro(m, start, end)
        self._chanted = False
        for i, q in enumerate(quotes):
            self._mark_chant(prev_end, q)
            if self._standalone(prev_end, q, i == 0):
                standalone.append((i, q))
            prev_end = q.close + 1
        if not standalone:
            return False
        found: dict[int, tuple[Entity, str]] = {}
        for i, q in standalone:
            after_end = quotes[i + 1].open if i + 1 < len(quotes) else end
            before_start = quotes[i - 1].close + 1 if i > 0 else start
            hit = self._after(q.close + 1, after_end) or self._before(before_start, q.open)
            if hit:
                found[i] = hit
        for i, q in standalone:
            hit = found.get(i) or next(iter(found.values()), None)
            if hit is None and self.colon and self.paragraph(q.open) - self.colon[2] <= 1:
                hit = self.colon[:2]
            if hit is None and self._only_quotes(start, end, quotes) and self.last:
                entity, para = self.last
                if self.paragraph(q.open) - para <= 1:
                    hit = (entity, "")
            if hit is not None:
                self.add(q.start, q.end, "direct", hit[0], hit[1])
        return bool(found) or any(f.start >= start for f in self.found[-1:])

    def _only_quotes(self, start: int, end: int, quotes: list[_Quote]) -> bool:
        rest = self.masked[start:end]
        for q in quotes:
            rest = rest.replace(self.masked[q.open : q.close + 1], " ")
        return not re.sub(r"[\s.,;:!?\u2014\u2013-]", "", _DATELINE.sub("", rest, count=1))

    def _after(self, pos: int, end: int) -> tuple[Entity, str] | None:
        seg = self.masked[pos:end]
        seg = re.sub(r"^[\s,.!?\u2014\u2013-]+", "", seg)
        seg = seg.strip().rstrip(".!?;,").rstrip()
        if not seg or len(seg.split()) > 30:
            return None
        at = end - len(seg)
        match = _AFTER_VERB_FIRST.match(seg)
        if match:
            entity = self.book.resolve(match.group(2), at)
            if entity is not None:
                return entity, match.group(1)
        match = _AFTER_SUBJECT_FIRST.match(seg)
        if match and len(match.group(1).split()) <= 16:
            entity = self.book.resolve(match.group(1), at)
            if entity is not None:
                return entity, match.group(2)
        return None

    def _before(self, start: int, pos: int) -> tuple[Entity, str] | None:
        m = self.masked
        start = _strip_intro(m, start, pos)
        seg = m[start:pos].rstrip()
        if not seg:
            return None
        for verb in _REPORT.finditer(m, start, pos):
            entity = self._subject(start, verb.start())
            if entity is not None:
                return entity, verb.group(1)
        more = _MORE_FROM.search(seg)
        if more:
            entity = self.book.resolve(more.group(1), start)
            if entity is not None:
                return entity, ""
        chant = re.search(rf"\b{CHANT_VERBS}$", seg)
        if chant:  # "... as protesters chanted": the group right before the verb
            near = [w for w in seg[: chant.start()].split()[-2:] if w.lower() in GROUP_NOUNS]
            entity = self.book.resolve(near[-1], start) if near else None
            if entity is not None:
                return entity, chant.group(0)
        if seg.endswith((":", ",")) or chant:
            joined = list(_CLAUSE_JOIN.finditer(m, start, pos))
            np = _leading_np(m, joined[-1].end() if joined and chant else start, pos)
            entity = self.book.resolve(np, start) if np else None
            if entity is None and chant:  # "The traders, many carrying bags, chanted"
                entity = self._subject(start, start + chant.start())
            unnamed = entity is not None and entity.kind == "unnamed"
            if (entity is None or unnamed) and chant:  # "..., demonstrators ... and chanted"
                groups = [w for w in re.findall(r"[A-Za-z]+", seg) if w.lower() in GROUP_NOUNS]
                if groups:
                    entity = self.book.resolve(groups[-1], start)
            if entity is not None:
                return entity, chant.group(0) if chant else ""
        return None

    def _subject(self, start: int, verb_start: int) -> Entity | None:
        prefix = self.masked[start:verb_start].strip()
        after = self.masked[verb_start : verb_start + 40]
        if _NOUN_BEFORE.search(prefix) or re.match(r"\w+\s+(?:is|was|are|were|has|had)\b", after):
            return None  # "dismissed the claims", "That last claim is difficult to check"
        if re.search(r"\band$", prefix):  # "X called it "..." and said ...": X speaks
            np = _leading_np(self.masked, start, verb_start)
            return self.book.resolve(np, start) if np else None
        joined = list(_CLAUSE_JOIN.finditer(prefix))
        if joined:  # "..., and critics say ...": the last clause's subject
            start += joined[-1].end()
            prefix = prefix[joined[-1].end() :]
        if not prefix or any(c in prefix for c in _OPENERS + "\u201d") or len(prefix) > 160:
            return None
        if _AUXILIARY.search(prefix.split(",")[0]):  # "X had been detained, Y said"
            return None
        entity = self.book.resolve(prefix, start)
        if entity is None:  # "..., where the authorities say", "In an interview she said"
            tail = re.search(
                r"(?:^|\s)(?:where|as|and|while|when|after|because)\s+([^,]+)$", prefix
            )
            pronoun = re.match(rf"^{_ADVERBIAL}[^,]*\s(he|she|they|it|we)$", prefix, re.I)
            if tail or pronoun:
                np = (tail or pronoun).group(1)
                entity = self.book.resolve(np, start + prefix.rindex(np))
        return entity

    # ----------------------------------------------------------------- reported speech
    def reported(self, start: int, end: int, quotes: list[_Quote]) -> bool:
        m = self.masked
        start = _strip_intro(m, start, end)
        rules = (self._according, self._passive, self._report_verb, self._trailing, self._saying)
        for rule in rules:
            hit = rule(start, end)
            if hit is not None and self.clause(*hit, after_verb=hit[0] != start):
                return True
        return False

    def _passive(self, start: int, end: int):
        """ "It was reported by X that ...", "Reporters were told by X that ..."."""
        match = _PASSIVE.search(self.masked, start, end)
        if not match:
            return None
        agent = re.sub(r"\s+(?:last|this|on|earlier|yesterday)\b.*$", "", match.group(2))
        agent = re.sub(r",\s+(?:who|which)\b.*$", "", agent)  # ", who spoke on condition ..."
        entity = self.book.resolve(agent, match.start(2))
        if entity is None:
            return None
        return match.end(), end, entity, match.group(1)

    def _according(self, start: int, end: int):
        m = self.masked
        lead = re.compile(rf"[Aa]ccording to {_SOURCE}([^,]+,\s+{_NAME_APPOSITION}),\s+").match(
            m, start, end
        ) or re.compile(
            rf"[Aa]ccording to {_SOURCE}([^,]+),\s+(?:(?:which|who)\s[^,]+,\s+)?"
        ).match(m, start, end)
        if lead:
            entity = self.book.resolve(lead.group(1), start)
            if entity is not None:
                return lead.end(), end, entity, "according to"
        trail = re.compile(
            rf",\s+according to {_SOURCE}([^,]+?)(?:,\s+(?:which|who)\s[^,]+)?[.!?]?\s*$"
        ).search(m, start, end)
        if trail:
            entity = self.book.resolve(trail.group(1), trail.start())
            if entity is not None:
                return start, trail.start(), entity, "according to"
        return None

    def _report_verb(self, start: int, end: int):
        m = self.masked
        for verb in _REPORT.finditer(m, start, end):
            entity = self._subject(start, verb.start())
            if entity is None:
                continue
            word = verb.group(1)
            c_start = self._clause_start(verb.end(), end, word)
            if c_start is None:
                return None
            if re.search(r",\s+who\s*$", m[start : verb.start()]):
                # "X, who promised in August that A, told the Post that B": two statements
                main = re.compile(rf",\s+{_AUX}({REPORT_VERBS})\b").search(m, c_start, end)
                second = main and self._clause_start(main.end(), end, main.group(1))
                if second is not None and self.clause(c_start, main.start(), entity, word):
                    return second, end, entity, main.group(1)
            return c_start, end, entity, word
        return None

    def _clause_start(self, pos: int, end: int, verb: str) -> int | None:
        m = self.masked
        rest = m[pos:end]
        aside = re.match(r"\s*,[^,]{2,60},\s+that\s+", rest)
        if aside:  # "claimed, without offering evidence, that ..."
            return pos + aside.end()
        if rest.lstrip().startswith((":", ",")) or not rest.strip():
            return None
        that = _THAT_AFTER_ADVERBIAL.match(rest)
        if verb in _OBJECT_VERBS and re.match(r"\s*(?:of|about)\s(?!\d)", rest):
            return None  # "told of their terror"
        clause_now = verb.startswith("warn") and re.match(
            r"\s*(?:the|a|an|this|his|her|its|their)\s+(?:\w+\s+){0,2}?(?:[\"\u201c]|"
            r"(?:is|are|was|were|would|will|could|had|has|must)\b)",
            rest,
        )
        if verb in _OBJECT_VERBS and not that and not clause_now:
            taken = _object_end(rest)
            if taken is None:
                return None
            pos += taken
            rest = m[pos:end]
            # "told a brief plenary session that", "told a meeting at X on Thursday that"
            that = _THAT_AFTER_ADVERBIAL.match(rest) or _that_after_object(rest)
        if that:
            return pos + that.end()
        medium = _MEDIUM.match(rest)
        if medium:  # "said in a statement it ...": the clause starts after the adverbial
            pos += medium.end()
            rest = m[pos:end]
        if verb in NEEDS_THAT and not _looks_like_clause(rest):
            return None
        time = _TIME.match(rest)
        if time:
            pos += time.end()
            rest = m[pos:end]
            that = re.match(r"\s*that\s+", rest)
            if that:
                return pos + that.end()
        return pos

    def _trailing(self, start: int, end: int):
        m = self.masked
        body = m[start:end].rstrip().rstrip(".!?").rstrip()
        commas = [c.start() for c in re.finditer(r",\s+", body)][::-1][:3]
        for comma in commas:
            tail = body[comma:].lstrip(", ")
            at = start + comma
            verb_first = re.match(rf"^{_AUX}({REPORT_VERBS})\s+(.+)$", tail)
            listener = verb_first and verb_first.group(1) in ("told", "tells", "tell")
            if verb_first and verb_first.group(1) not in NEEDS_THAT and not listener:
                entity = self.book.resolve(verb_first.group(2), at)
                if entity is not None:
                    return start, at, entity, verb_first.group(1)
            subject = re.match(
                rf"^(.+?)\s+{_AUX}({REPORT_VERBS})(\s+{_ADVERBIAL}.*|\s+(?<=told\s)\S+(?:\s+\S+){{0,3}})?$",
                tail,
            )
            infinitive = subject and re.match(
                r"\s+to\s+(?!the\b|a\b|an\b|reporters\b|journalists\b)[a-z]", subject.group(3) or ""
            )  # ", and an alliance agreed to send troops": not speech
            reply = subject and subject.group(2) in ("responded", "replied")
            if subject and _NOUN_BEFORE.search(subject.group(1)) or infinitive or reply:
                subject = None  # ", Peter Odhiambo, dismissed the claims"
            if subject and len(subject.group(1).split()) <= 8:
                entity = self.book.resolve(subject.group(1), at)
                if entity is not None:
                    before = body[:comma]
                    role = re.search(
                        r",\s+(?:her|his|their|its|the|a|an)\s[\w'\u2019 -]{2,40}$", before
                    )
                    if role and not _AUXILIARY.search(role.group(0)):
                        at = start + role.start()
                    return start, at, entity, subject.group(2)
        return None

    def _saying(self, start: int, end: int):
        m = self.masked
        with_np = _WITH_SAYING.search(m, start, end)
        if with_np:
            entity = self.book.resolve(with_np.group(1), with_np.start(1))
            if entity is not None:
                return with_np.end(), end, entity, "saying"
        match = _PARTICIPLE_SPEECH.search(m, start, end)
        if not match:
            return None
        c_start = match.end()
        if match.group(1) == "telling":  # "telling parliament that ..."
            that = _that_after_object(m[c_start:end])
            if that is None:
                return None
            c_start += that.end()
        np = _leading_np(m, start, match.start())
        entity = self.book.resolve(np, start) if np else None
        if entity is None:
            return None
        return c_start, end, entity, match.group(1)


def extract_statements(article_text: str) -> list[Statement]:
    """The attributed statements of one article, in order (rules: the module docstring)."""
    if not isinstance(article_text, str):
        raise TypeError(f"article_text must be str, not {type(article_text).__name__}")
    return _Extractor(article_text).run()
