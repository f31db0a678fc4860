"""Speaker resolution for extracted statements: who a mention ("she", "Marsh", "the ministry",
"union boss Petra Lund", "a 34-year-old teacher") refers to.

``parse_mention`` reads one noun phrase into a ``Mention`` (name, description, kind);
``SpeakerBook`` keeps the speakers of one article in order of appearance and resolves later
references to them:

* a full name ("Elena Marsh", "Gen. Ivo Brandt", "Interior Minister Viktor Lasko", "Zoé
  Ménard", "Hamid al-Saadi", "Minister of Water Resources Qasim al-Haddad": a capitalised role
  "of" an organisation, then the last two capitalised words) opens a person; titles (Gen.,
  Dr., Mr., Ms., Prof., Cllr ...) and capitalised roles before the name
  become the description, as do appositions ("Elena Marsh, spokeswoman for ...",
  "A spokesperson for the authority, Irene Salo");
* a surname alone ("Marsh", "Mr. Keller", "Al-Saadi" at a sentence start) is the person
  whose name ends with it (case-insensitively);
* "he"/"she" is the person mentioned last whose gender is unknown or matches (the gender
  is learnt from titles, "spokeswoman"/"spokesman" and earlier pronouns); "they" is the group
  or organisation mentioned last; "it" the organisation mentioned last;
* "the ministry", "the spokesperson", "the general", "the union" is the speaker mentioned
  last whose name or description contains that head noun (a bare capitalised head, "the
  Command", is such a reference too); "the statement" / "the decree" is the organisation
  mentioned last;
* an organisation is named as written without a leading "the" ("Interior Ministry");
  a group ("protesters", "several residents") keeps its noun, without quantifiers; an
  unnamed individual ("a 34-year-old teacher") is its own speaker (see below for what it
  keeps);
* two full names that share a surname but not a first name ("Chloe Hartley", "Joanne
  Hartley") are two people; a surname alone is the latest of them;
* "the group" / "the organisation" is the organisation or group mentioned last; "the head of
  state" is the speaker described as president (or king, emir ...);
* a person named in narration after a role noun ("great-grandmother Maria do Céu Pires") or
  opening a sentence with an apposition ("Arief Nugroho, a former editor, remembers ...") is
  recorded, so a later "she said" finds them; "He gave his name as X, a retired driver" and
  "She was X, an organiser" name the unnamed speaker just quoted, and "a retired miner who
  gave his name only as Bogdan" is Bogdan; "Gary said" is the only person named Gary;
* an unnamed individual is "a/an" + a person noun ("a source close to the Trade Ministry",
  "a spokeswoman for SunWay Holidays"), not the organisation it names, unless an
  apposition names them ("A spokesperson for the authority, Irene Salo");
* "the company" / "the regulator" / "the operator" is the organisation mentioned last; "the
  insider" is the source; "the general" is "Gen. X" (abbreviated titles are expanded);
* a group keeps its numbers, quantifiers and places, as written ("two police officers at the
  barrier", "ordinary Corvenians", "embassies of Halvenmark, Ostrelle and Sundvik"); a
  determiner or quantifier that opens it is lower-cased ("Two officers" -> "two officers"),
  other sentence-initial capitals are kept;
* an unnamed individual keeps where they are or come from ("a vegetable seller at Ol Kerin
  market") but not clauses, times or situations ("who asked ...", "outside the city hall",
  "holding a sign");
* any lowercase plural noun phrase is a group ("Metro bosses", "stewards", "freight
  forwarders"), except things ("reports", "figures", "polls" ...); "the owner of the X
  station" (a person noun with more than four words) is an unnamed individual; an
  organisation named with an acronym ("Zamrasht National Petroleum Company (ZNPC)") is
  found by it; people introduced in narration with an age or a role ("Arne Voss, 71, a
  retired engineer") or a hyphenated epithet ("gran-of-four Dolores Vane") are recorded;
* signs, placards, notices, banners and headlines are not speakers.

Known limits: no coreference beyond these rules (an unnamed first mention named later in
another way, "A spokesman ... The spokesman, Jonas Veldt, added", stays two speakers; "his
office" is not resolved to its owner); gender is not guessed from first names; a name is at
most four capitalised words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TITLES = set(
    "mr mrs ms miss dr prof gen col capt lt sgt maj adm gov sen rep rev cmdr insp supt "
    "professor general colonel captain judge father sheikh sir dame lord lady president cllr "
    "ch bishop archbishop imam rabbi pastor reverend cardinal mufti constable sergeant "
    "lieutenant corporal brigadier marshal admiral major rector dean provost principal "
    "headteacher headmaster headmistress ombudsman sheriff magistrate haji hajji".split()
)
ROLE_WORDS = (
    set(
        "minister president secretary councillor councilor mayor governor senator chairman "
        "chairwoman chair commander chief deputy director spokesman spokeswoman spokesperson "
        "leader candidate prosecutor ambassador envoy premier chancellor officer head inspector "
        "lawmaker mp speaker coordinator organiser organizer activist boss manager superintendent "
        "commissioner representative adviser advisor economist analyst researcher pensioner "
        "teacher nurse doctor resident worker student vice prime foreign interior defence defense "
        "finance opposition union police army party justice transport labour labor health "
        "education trade energy economy regional national city state campaign general".split()
    )
    | TITLES
)
ORG_HEADS = set(
    "ministry council committee commission union party front office agency authority group "
    "institute government presidency police army military embassy court bureau service "
    "department association federation company corporation administration organisation "
    "organization cabinet parliament assembly movement alliance coalition league centre "
    "center foundation board bank hospital university firm network secretariat directorate "
    "command headquarters kremlin junta municipality prefecture mission fund regime barometer "
    "statement congress chamber forum confederation syndicate tribunal senate caucus bloc "
    "platform initiative society trust observatory monitor watch collective synod church "
    "diocese services utilities holdings airlines railways".split()
)
GROUP_NOUNS = set(
    "protesters protestors demonstrators residents strikers workers supporters observers "
    "officials witnesses shoppers tenants students farmers activists lawmakers critics "
    "analysts organisers organizers villagers families parents teachers doctors nurses "
    "drivers traders merchants bakers miners soldiers officers troops crowds voters citizens "
    "people locals opponents members leaders experts economists diplomats crowd marchers "
    "rioters youths mourners pensioners relatives victims survivors refugees passengers "
    "employees staff unions investors sources authorities police prosecutors mps ministers "
    "deputies delegates campaigners petitioners participants cops embassies governments "
    "ministries agencies politicians agents journalists reporters lawyers commentators "
    "vendors sellers shopkeepers owners medics paramedics firefighters guards engineers "
    "researchers academics clerics commanders envoys monitors unionists sources readers viewers "
    "listeners users customers commuters landlords fishermen truckers dockers marchers groups "
    "representatives investigators inspectors auditors".split()
)
QUANTIFIERS = re.compile(
    r"^(?:(?:several|some|many|few|a few|dozens|hundreds|thousands|tens of thousands|scores|"
    r"most|other|others|all|numerous|a group|a crowd|a handful|groups|crowds)"
    r"(?:\s+(?:hundred|thousand|dozen))?(?:\s+of)?(?:\s+the)?\s+)+",
    re.I,
)
# nouns for one person: "a source close to the ministry" is an unnamed individual, not the
# ministry
PERSON_NOUNS = set(
    "man woman source official spokesman spokeswoman spokesperson diplomat witness resident "
    "protester protestor demonstrator student teacher nurse doctor driver worker trader vendor "
    "seller owner officer soldier farmer miner pensioner mother father activist lawyer "
    "member aide adviser advisor insider employee engineer organiser organizer analyst "
    "economist volunteer shopkeeper passenger journalist reporter priest deputy lawmaker "
    "businessman businesswoman executive director manager commander worker youth girl boy "
    "grandmother grandfather widow veteran guard".split()
)
_ABBREVIATED = {
    "gen": "general", "col": "colonel", "capt": "captain", "lt": "lieutenant",
    "sgt": "sergeant", "maj": "major", "adm": "admiral", "gov": "governor", "sen": "senator",
    "rep": "representative", "insp": "inspector", "supt": "superintendent",
    "prof": "professor", "rev": "reverend", "cllr": "councillor", "dr": "doctor",
}  # fmt: skip
PRONOUNS = {"he": "m", "she": "f", "they": "group", "it": "org", "we": "group", "i": "person"}
_DETERMINER = re.compile(r"^(?:the|a|an|his|her|its|their|our)\s+", re.I)
_LETTERS = r"[^\W\d_]"
_NAME_TOKEN = re.compile(
    rf"^(?:[A-Z\u00c0-\u00de]{_LETTERS}*(?:['\u2019-]{_LETTERS}+)*\.?|[A-Z]\.|"
    rf"(?:de|van|von|al|bin|da|di|le|do|dos|das|du|del|der)|(?:al|el|ad|as|ash|bin|ibn|abu)-[A-Z]{_LETTERS}*)$"
)
_PARTICIPLES = r"told|speaking|standing|waiting|holding|carrying|wearing|waving|clutching|sitting"
_TRAILING_PLACE = re.compile(
    r"\s+(?:who|which|whose|that|outside|inside|in|at|on|near|during|after|before|while|as|"
    rf"{_PARTICIPLES})\b.*$"
)
# an unnamed individual keeps where they are or come from ("a 27-year-old engineer in
# Kyzylsai", "a vegetable seller at Ol Kerin market") but not clauses or times
_UNNAMED_TRAIL = re.compile(
    r"\s+(?:who|which|whose|that|outside|inside|near|during|after|before|while|as|when|said|"
    r"says|yesterday|today|"
    r"(?:on|last|this|late|early)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    rf"Sunday|night|week|morning|afternoon|evening)|{_PARTICIPLES})\b.*$"
)
# references that stand for whoever issued them: "the statement said" -> the organisation
_DOCUMENTS = {"statement", "communique", "communiqu\u00e9", "decree", "release", "report"}
_CAP = r"[A-Z][\w'\u2019.-]*"
_ORG_NAME = re.compile(
    rf"\b(?:{_CAP}(?:\s+{_CAP})+|{_CAP}(?=\s+(?:of|for)\s))"
    rf"(?:\s+(?:of|for)(?:\s+the)?(?:\s+{_CAP})+(?:\s+(?:and|&)(?:\s+{_CAP})+)?)?"
)
_ACRONYM = re.compile(rf"((?:{_CAP}\s+)+{_CAP})\s+\(([A-Z][A-Z&]{{1,7}})\)")
_NOBODY = set(
    "nothing nobody everyone everybody someone somebody anyone anything something this that "
    "there what which who whom none all this these those here".split()
)
# things that "read" or "say" words but do not speak: "a handwritten sign read "...""
_THINGS = set(
    "sign signs placard placards banner banners notice notices poster posters graffiti "
    "headline headlines leaflet leaflets billboard billboards slogan slogans".split()
)
# "the group said": any organisation, not only one with "group" in its name
_GENERIC_ORGS = {
    "group", "organisation", "organization", "body", "collective", "charity", "ngo", "company",
    "firm", "utility", "operator", "regulator", "insurer", "broadcaster", "agency",
}  # fmt: skip
# references by office that do not share a word with the role: "the head of state said"
_TITLE_REFERENCES = {
    "head of state": {"president", "king", "queen", "emir", "sultan", "monarch"},
    "head of government": {"prime", "premier", "chancellor"},
    "insider": {"source", "insider", "official"},
}
# a time before a speaker, without a comma: "Last night a source ...", "On Friday the office
# ...", "Tonight Odette ..." (extraction skips it before a subject, parse_mention drops it)
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
TIME_OPENER = re.compile(
    rf"(?:(?:last|late|early|earlier|later|this)\s+(?:on\s+)?(?:{_DAY}|night|week|month|year|"
    rf"morning|afternoon|evening)|on\s+{_DAY}|tonight|today|yesterday|earlier|later)\s+(?=\S)",
    re.I,
)
# plurals that are not people: "reports said", "figures show"
_NOT_PEOPLE = set(
    "reports figures data statistics documents records results polls surveys numbers "
    "estimates projections accounts papers documents files minutes leaks messages posts "
    "photos images videos pictures signs banners placards leaflets notes letters emails "
    "tests studies analyses findings rules laws plans measures talks things years days "
    "weeks months hours times".split()
)
_DETERMINERS = {"a", "an", "the", "his", "her", "its", "their", "our"}
_COMMON_FIRST = set(
    "a an one two three four five six seven eight nine ten some several many most few other "
    "all around about more hundreds thousands dozens scores tens riot local senior ordinary "
    "angry young elderly foreign western".split()
)
_ABBREV = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "cllr"}
_FEMALE = {"ms", "mrs", "miss", "spokeswoman", "chairwoman", "dame", "lady", "congresswoman"}
_MALE = {"mr", "spokesman", "chairman", "sir", "lord", "father", "congressman"}
_SPOKES = {"spokesman", "spokeswoman", "spokesperson"}


_NAME_WORD = r"[A-Z\u00c0-\u00de][\w'\u2019-]+"
_NAME_RUN = rf"{_NAME_WORD}(?:\s+(?:(?:do|da|de|dos|van|von|al|bin)\s+)?{_NAME_WORD}){{1,3}}"
_ROLE_THEN_NAME = re.compile(rf"\b([a-z][a-z-]{{2,}})\s+({_NAME_RUN})")
_NAME_AGE_ROLE = re.compile(rf"{_NAME_RUN},\s+(\d{{1,3}},\s+)?(?:a|an|the)\s+([^,;:.]+)(?=[,.;])")
_NAME_THEN_ROLE = re.compile(rf"\s*{_NAME_RUN},\s+(?:a|an|the)\s+[^,;:]+(?=,)")
_ROLE_ENDINGS = ("er", "or", "ist", "ian", "mother", "father", "man", "woman", "boss", "chief")
_NOT_ROLES = set(
    "after under over never whether either neither other another rather however together "
    "for nor or per whether before later earlier border sector corner quarter "
    "october november december september member".split()
)
_GAVE_NAME = re.compile(
    rf"(?:\b(?:gave|gives|giving)\s+(?:his|her|their)\s+(?:full\s+)?name\s+(?:only\s+)?as|"
    rf"^\s*(?:He|She)\s+(?:is|was))\s+({_NAME_RUN}|{_NAME_WORD}(?=\s*[,.]|\s*$))(?:,\s+(?:a|an|the)\s+([^,.;]+))?"
)


@dataclass(frozen=True)
class Mention:
    """One noun phrase naming a speaker. ``kind``: person (a name), org, group, unnamed (a
    description such as "a local teacher"), reference ("the ministry"), pronoun, surname."""

    kind: str
    name: str
    description: str = ""
    gender: str | None = None
    also: str = ""  # a second description ("Senior Commissioner X, a police spokesman")


@dataclass
class Entity:
    """A speaker of the article as known so far."""

    kind: str
    name: str
    description: str = ""
    gender: str | None = None
    last: int = -1
    also: str = ""  # other descriptions seen, for references ("the police spokesman")

    @property
    def surname(self) -> str:
        return self.name.split()[-1] if self.kind == "person" else ""

    def words(self) -> set[str]:
        text = f"{self.name} {self.description} {self.also}".lower()
        found = set(re.findall(r"[a-z]+", text)) | set(re.findall(r"[a-z]+(?:-[a-z]+)+", text))
        found |= {_ABBREVIATED[w] for w in found if w in _ABBREVIATED}  # "Gen." -> general
        if found & _SPOKES:
            found |= _SPOKES
        return found


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:.\u2014\u2013-")
    return text


def _strip_determiner(text: str) -> str:
    return _DETERMINER.sub("", text, count=1)


def _gender(words: list[str]) -> str | None:
    low = {w.lower().rstrip(".") for w in words}
    if low & _FEMALE:
        return "f"
    if low & _MALE:
        return "m"
    return None


def _split_name(chunk: str) -> tuple[str, str] | None:
    """("Petra Lund", "union boss") from "union boss Petra Lund"; None without a name."""
    main, _, tail = chunk.partition(" of ")
    tokens = main.split()
    end = len(tokens)
    start = end
    while start > 0 and _NAME_TOKEN.match(tokens[start - 1]):
        start -= 1
    if 0 < start < end and tokens[start - 1].lower() in ("from", "in", "at", "near"):
        return None  # "a law student from Bandung": a place, not a name
    run = tokens[start:end]
    cut = 0
    for i, tok in enumerate(run):
        if tok.lower().rstrip(".") in ROLE_WORDS or tok.endswith("."):
            if not re.fullmatch(r"[A-Z]\.", tok):  # an initial belongs to the name
                cut = i + 1
    name = run[cut:]
    if not name or name[0].lower() in {"the", "a", "an"}:
        return None
    if len(name) == 1 and name[0].lower() in _COMMON_FIRST:  # "One of them, ..."
        return None
    desc_tokens = [t for t in tokens[:start] + run[:cut] if t.lower().rstrip(".") not in _ABBREV]
    desc = " ".join(desc_tokens)
    if tail:
        desc = f"{desc} of {tail}".strip()
    return " ".join(name), _strip_determiner(_clean(desc))


def _split_tail_name(chunk: str) -> tuple[str, str] | None:
    """("Qasim al-Haddad", "Minister of Water Resources") from "Minister of Water Resources
    Qasim al-Haddad": a capitalised role "of" an organisation, then the name (its last two
    capitalised words). None when the words after "of" are only an organisation."""
    if " of " not in chunk or not chunk[:1].isupper():
        return None
    tokens = chunk.split()
    start = len(tokens)
    while start > 0 and _NAME_TOKEN.match(tokens[start - 1]):
        start -= 1
    run = tokens[start:]
    if len(run) < 2 or run[-1].lower().rstrip(".") in ORG_HEADS | GROUP_NOUNS:
        return None
    if len(run) == 2 and (start == 0 or tokens[start - 1].lower() in ("of", "for", "the")):
        return None
    desc = " ".join(tokens[:-2])
    return " ".join(tokens[-2:]), _strip_determiner(_clean(desc))


def _is_org(text: str) -> bool:
    head = re.split(r"\s+(?:of|for|on)\s+", text.lower())[0]
    words = re.findall(r"[a-z]+", head)
    return bool(words) and words[-1] in ORG_HEADS


def _cut_participle(phrase: str) -> str:
    """ "a retired teacher leaving a school" -> "a retired teacher": an -ing word right after a
    person noun starts a participle phrase."""
    words = phrase.split()
    for i in range(1, len(words)):
        if words[i].endswith("ing") and words[i].islower() and words[i - 1] in PERSON_NOUNS:
            return " ".join(words[:i])
    return phrase


def _is_group(text: str, *, plural_ok: bool = True) -> bool:
    # "organisers of the blockade", "two officials familiar with the talks"
    original = re.split(r"\s+(?:of|from|familiar|close|involved|with|in|at|on)(?:\s+|$)", text)[0]
    head = original.lower()
    words = re.findall(r"[A-Za-z]+", head)
    if not words or text.lower().startswith(("a ", "an ")):
        return False
    demonym = re.search(r"\b[A-Z][a-z]+(?:ians|ans)$", re.split(r"\s+(?:of|from)\s+", text)[0])
    plural = (
        plural_ok
        and "," not in text
        and len(words) <= 5
        and words[-1].endswith("s")
        and not words[-1].endswith(("ss", "us", "is", "ics"))
        and words[-1] not in _NOT_PEOPLE
        and words[-1][:-1] not in ORG_HEADS
        and not any(c.isupper() for c in original[1:])
        and not re.search(r"[-\u2019']", words[-1])
    )
    return words[-1] in GROUP_NOUNS or bool(demonym) or plural  # "ordinary Corvenians"


def _lower_first(phrase: str) -> str:
    """A group or description written at a sentence start, lower-cased: "Two officers"."""
    first = phrase.split()[0] if phrase.split() else ""
    common = first.lower() in _COMMON_FIRST or first.lower() in GROUP_NOUNS
    return phrase[:1].lower() + phrase[1:] if common or first[:1].isdigit() else phrase


def parse_mention(text: str) -> Mention | None:
    """The speaker named by a noun phrase, or None when it names nobody."""
    time = TIME_OPENER.match(_clean(text))
    text = _clean(text)[time.end() if time else 0 :]
    if not text:
        return None
    # a list of names is one phrase: "the embassies of Halvenmark, Ostrelle and Sundvik"
    text = re.sub(r"\b([A-Z][\w'\u2019-]+), (?=[A-Z][\w'\u2019-]+ and [A-Z])", "\\1\x00 ", text)
    gave = _GAVE_NAME.search(text)
    if gave and re.match(r"(?:a|an)\s", text, re.I):  # "a miner who gave his name as Bogdan"
        role = re.split(r"\s+who\b", text)[0]
        return Mention("person", gave.group(1), _strip_determiner(role))
    chunks = [_clean(c).replace("\x00", ",") for c in re.split(r",\s+", text)]
    chunks = [
        c
        for c in chunks
        if c and not re.fullmatch(r"\d+|aged \d+", c) and not re.match(r"(?:who|whose|which)\b", c)
    ]
    if not chunks:
        return None
    head, rest = _TRAILING_PLACE.sub("", chunks[0]), chunks[1:]
    tail = chunks[0][len(head) :].split()
    if (
        tail
        and tail[0] not in ("who", "which", "whose")
        and any(
            w.endswith("ed") and w.islower() and prev.lower() not in _DETERMINERS
            for prev, w in zip(["", *tail], tail)
        )
    ):
        return None  # "X on Tuesday rejected ...": a clause, not a noun phrase
    low = head.lower()
    if low.split()[-1] in _THINGS:
        return None
    if low in PRONOUNS:
        return Mention("pronoun", low)
    last = head.split()[-1]
    thing = last.lower() in _NOT_PEOPLE and (last.islower() or len(head.split()) == 1)
    if low in _NOBODY or low.startswith("no ") or thing:
        return None  # "No group", "Reports said"
    if len(head.split()) > 12:
        return None
    words = head.split()
    gender = _gender(words + [w for c in rest for w in c.split()])
    # a name in the head ("union boss Petra Lund") or in an apposition ("Her manager, X Y")
    candidates = [head, *rest]
    first_noun = re.match(
        r"(?:a|an|one|the)\s+(?:[\w-]+\s+){0,3}?([a-z]+)(?:\s+(?:for|of|at|with|from|in|close)\b|$)",
        head,
        re.I,
    )
    named = any((_split_name(c) or ("", ""))[0].count(" ") for c in rest)
    definite = head.lower().startswith("the ")
    if definite and (not first_noun or len(head.split()) <= 4):
        first_noun = None  # "the spokesman", "the head of the union": references
    if first_noun and first_noun.group(1).lower() in PERSON_NOUNS and not named:
        # "a source close to the ministry": one person, not the ministry; "the owner of the
        # Eastgate Service Station" likewise
        if definite:
            return Mention("unnamed", _strip_determiner(_unnamed(chunks[0])))
        return Mention("unnamed", _lower_first(_unnamed(chunks[0])), "", gender)
    for i, chunk in enumerate(candidates):
        if _is_org(chunk) and not _split_name_person(chunk) or i == 0 and _is_group(chunk):
            continue
        split = _split_name(chunk)
        if split is None:
            continue
        name, desc = split
        others = [_strip_determiner(c) for j, c in enumerate(candidates) if j != i]
        also = " ".join([desc, *others])
        if others and (not desc or desc.rstrip(".").lower() in TITLES):
            desc = others[0]
        if len(name.split()) >= 2:
            return Mention("person", name, desc, gender, also)
        if name.lower() in GROUP_NOUNS or name.lower() in ORG_HEADS:
            continue
        if i == 0 and len(name.split()) == 1:
            return Mention("surname", name, desc, gender)
    tail_name = _split_tail_name(head)
    if tail_name is not None:
        return Mention("person", tail_name[0], tail_name[1], gender)
    bare = _strip_determiner(head)
    desc = _strip_determiner(rest[0]) if rest else ""
    if _is_org(head) and re.search(r"[A-Z]", bare) and len(bare.split()) > 1:
        return Mention("org", bare, desc)
    if re.match(r"the\s+", head, re.I) and rest and re.fullmatch(r"[A-Z][\w'\u2019&-]+", rest[0]):
        return Mention("org", rest[0], bare)  # "the state rail operator, CastelRail"
    if re.match(r"(?:the|this|that)\s+", head, re.I) and len(bare.split()) <= 3:
        return Mention("reference", bare.lower(), desc, gender)
    if _is_group(head, plural_ok=len(chunks) == 1):  # as written: "two officers in Orzan"
        group = _UNNAMED_TRAIL.sub("", _strip_determiner(chunks[0]))
        return Mention("group", _lower_first(group), desc)
    if _is_org(head):
        return Mention("org", bare, desc)
    if re.match(r"(?:a|an|one)\s+", head, re.I):
        return Mention("unnamed", _lower_first(_unnamed(chunks[0])), "", gender)
    return None


def _unnamed(phrase: str) -> str:
    return _cut_participle(_UNNAMED_TRAIL.sub("", phrase))


def _split_name_person(chunk: str) -> bool:
    """True when a chunk that ends like an organisation still names a person first
    ("Viktor Lasko of the Interior Ministry")."""
    main = chunk.partition(" of ")[0]
    return main != chunk and _split_name(main) is not None and len(main.split()) >= 2


@dataclass
class SpeakerBook:
    """The speakers of one article; ``resolve`` turns a mention into one of them."""

    entities: list[Entity] = field(default_factory=list)
    acronyms: dict[str, Entity] = field(default_factory=dict)

    def note_organisations(self, text: str, offset: int) -> None:
        """Record the organisations named in ``text`` (at ``offset`` in the article), so that
        "the ministry" or "it" can refer to them later."""
        for match in _ORG_NAME.finditer(text):
            name = _strip_determiner(match.group(0)).rstrip(".")
            if not _is_org(name) or len(name.split()) < 2:  # "the Command": a reference
                continue
            found = self._named(name)
            if found is None:
                found = Entity("org", name)
                self.entities.append(found)
            found.last = max(found.last, offset + match.start())
        for match in _ACRONYM.finditer(text):  # "Zamrasht National Petroleum Company (ZNPC)"
            found = self._named(_strip_determiner(match.group(1)))
            if found is not None:
                self.acronyms[match.group(2)] = found

    def note_people(self, text: str, offset: int) -> None:
        """Record people introduced in narration by a role noun before their name ("led by
        81-year-old great-grandmother Maria do Céu Pires"), so that a later "she" finds them."""
        apposition = _NAME_THEN_ROLE.match(text)
        if apposition:
            self.resolve(apposition.group(0), offset + apposition.start(), note_only=True)
        for match in _NAME_AGE_ROLE.finditer(text):  # "... is Arne Voss, 71, a retired engineer"
            role_words = set(re.findall(r"[a-z]+", match.group(2).lower()))
            if match.group(1) or role_words & (PERSON_NOUNS | ROLE_WORDS):
                self.resolve(match.group(0), offset + match.start(), note_only=True)
        for match in _ROLE_THEN_NAME.finditer(text):
            role = match.group(1).lower()
            known = role in ROLE_WORDS or role.endswith(_ROLE_ENDINGS) or "-" in role
            if role in _NOT_ROLES or not known:  # "gran-of-four Dolores Vane" is known
                continue
            self.resolve(match.group(0), offset + match.start(2), note_only=True)

    def rename(self, entity: Entity, text: str) -> bool:
        """Name an unnamed speaker from "He gave his name as X, a retired driver"."""
        match = _GAVE_NAME.search(text)
        if match is None or entity.kind != "unnamed":
            return False
        entity.kind, entity.name = "person", match.group(1)
        entity.description = match.group(2) or entity.description
        return True

    def _named(self, name: str) -> Entity | None:
        low = name.lower()
        return self._latest(lambda e: e.name.lower() == low)

    def _latest(self, test) -> Entity | None:
        found = [e for e in self.entities if test(e)]
        return max(found, key=lambda e: e.last) if found else None

    def resolve(self, text: str, position: int, *, note_only: bool = False) -> Entity | None:
        """The entity a mention at ``position`` refers to (created when new). With
        ``note_only`` (a mention in narration), only names, known references and groups
        are recorded and pronouns are not resolved."""
        bare = _strip_determiner(_clean(text))
        if bare in self.acronyms:
            entity = self.acronyms[bare]
            entity.last = position
            return entity
        mention = parse_mention(text)
        if mention is None:
            return None
        entity = self._find(mention, note_only)
        if entity is None:
            person_noun = mention.kind == "unnamed" and bool(
                set(mention.name.lower().split()) & PERSON_NOUNS
            )
            if note_only and mention.kind not in ("person", "group") and not person_noun:
                return None
            kind = {"surname": "person", "reference": "unnamed"}.get(mention.kind, mention.kind)
            if mention.kind == "reference" and mention.name.split()[-1] in ORG_HEADS:
                kind = "org"
            if kind == "pronoun":
                return None
            entity = Entity(kind, mention.name, mention.description, mention.gender)
            entity.also = mention.also
            self.entities.append(entity)
        else:
            if len(mention.name) > len(entity.name) and mention.kind == entity.kind == "person":
                entity.name = mention.name
            if mention.kind in ("person", "surname", "org") and mention.description:
                if len(mention.description) > len(entity.description):
                    entity.description = mention.description
            entity.gender = entity.gender or mention.gender
            entity.also = f"{entity.also} {mention.also}".strip()
        entity.last = position
        return entity

    def _find(self, mention: Mention, note_only: bool) -> Entity | None:
        if mention.kind == "pronoun":
            if note_only:
                return None
            want = PRONOUNS[mention.name]
            if want in ("m", "f"):
                found = self._latest(
                    lambda e: e.kind in ("person", "unnamed") and e.gender in (None, want)
                )
                if found is not None and found.gender is None:
                    found.gender = want
                return found
            if want == "org":
                return self._latest(lambda e: e.kind == "org")
            return self._latest(lambda e: e.kind in ("group", "org")) or self._latest(
                lambda e: True
            )
        if mention.kind in ("person", "surname"):
            last = mention.name.split()[-1].lower()
            full = mention.name.lower()

            def same(e: Entity) -> bool:
                if e.kind != "person" or e.surname.lower() != last:
                    return False
                # "Teresa Condori" is not "Wilfredo Condori"; "Condori" or "Ana Condori
                # Quispe" may be either
                name = e.name.lower()
                return name == full or name.endswith(" " + full) or full.endswith(" " + name)

            if mention.kind == "person":
                return self._latest(same)
            found = self._latest(lambda e: e.kind == "person" and e.surname.lower() == last)
            if found is None:  # "Gary said" after "Gary Pickford, a plumber, ...": a first name
                firsts = [
                    e for e in self.entities if e.kind == "person" and len(e.name.split()) > 1
                ]
                firsts = [e for e in firsts if e.name.split()[0].lower() == last]
                found = firsts[0] if len(firsts) == 1 else None
            return found
        if mention.kind == "reference":
            head = mention.name.split()[-1]
            heads = _SPOKES if head in _SPOKES else {head}
            if mention.name in _TITLE_REFERENCES:  # "the Head of State": the president
                heads = _TITLE_REFERENCES[mention.name]
            if head in _GENERIC_ORGS:
                found = self._latest(lambda e: e.kind in ("org", "group") and head in e.words())
                return found or self._latest(lambda e: e.kind == "org")
            if head in _DOCUMENTS:
                return self._latest(lambda e: e.kind == "org") or self._latest(lambda e: True)
            if head in ORG_HEADS:
                found = self._latest(lambda e: e.kind == "org" and head in e.words())
                if found is not None:
                    return found
            return self._latest(lambda e: bool(e.words() & heads))
        if mention.kind in ("org", "group", "unnamed"):
            name = mention.name.lower()
            return self._latest(lambda e: e.name.lower() == name)
        return None
