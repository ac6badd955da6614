"""Names the gazetteer lacks, found by rule (``entity_mentions.method`` ``rule``).

Pure functions: one source's paragraphs (text, kind, doc_id) and the gazetteer's mentions of them
in; the mentions to add, and the gazetteer mentions they replace, out. What a mention is stays
ENTITY-RULES.md. The rules, in order of precedence (a later rule never overlaps an earlier one's
mention):

1. **State bodies.** ``<state adjective> <body>`` (``Bolivian Chamber of Deputies``, ``French
   Senate``, ``German Foreign Ministry``, ``Soviet Embassy``) and ``<body> of <state>`` name that
   state's body: the gazetteer's entity when it lists one under any of the state's adjectives
   (``US Senate``), else a new organisation ``<first adjective> <body>``. A bare legislature
   (``Senate``, ``Chamber of Deputies``, ``Parliament``) is the body of the one state its
   paragraph names, if that state is named by an adjective (``the Bolivian Government``) — or,
   failing that, of the state an earlier bare use in the same document was given. A gazetteer link
   of a bare listed body to one state's (``Chamber of Deputies`` → France) is replaced so, and
   dropped (left unlinked) when the paragraph names other states but not that one. The Soviet Union
   and Russia never decide (their bodies bear other names, and they are named everywhere).
2. **Organisations.** A capitalised name ending in an organisation head noun (``Commission``,
   ``Committee``, ``Council``, ``Bank``, ``Company``, ``Department``, ``Party``...), with a proper
   modifier (``League Chaco Commission``), at least two modifiers (``National Security Council``),
   or an ``of`` complement (``Ministry of Industry and Commerce``). Longest match wins over listed
   names inside it — except a listed name qualified only by states or organisations (``UN Security
   Council``) and a listed firm with its legal form (``Standard Oil Company``), which stay the
   listed entity.
3. **Places.** ``<Name> Railway`` / ``River`` / ``Bay`` / ``Island`` / ``Palace`` ...,
   ``Cape``/``Fort``/``Fortín``/``Lake``/``Mount``/``Port <Name>``, ``Gulf``/``Sea``/``Bay of
   <Name>``; ``<place> Soviet`` (``Petrograd Soviet``) is an organisation.
4. **Persons.** The capitalised name after a title or rank (``Mr.``, ``Señor``, ``Dr.``, ``Count``,
   ``Admiral``, ``Ambassador``, ``Minister of Foreign Affairs`` ...; the span is the name only), and
   a signature line that is only a name; then later bare uses of that surname in the same source
   (not at a sentence start when the word also occurs in lowercase in the source, not glued to a
   preceding capitalised word). Canonical name: the fullest form the source gives; a surname the
   source gives with two different first names is left unlinked where it stands alone.

New entities get ids in the gazetteer's style (``<type>:<slug of the canonical name>``); a rule
never re-links a name the gazetteer (or the markup) already gave to a person.
"""

from __future__ import annotations

import functools
import re
from collections import ChainMap, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import ahocorasick
import yaml

from pipelines.extraction.entities import GAZETTEER_DIR, Entity, Gazetteer, Mention, normalize, slugify

METHOD = "rule"

# ------------------------------------------------------------------------------------------
# word lists

# states named everywhere in this corpus, whose bodies bear other names (Supreme Soviet, Duma)
NEVER_DECIDE = frozenset({"state:soviet-union", "state:russia"})

# body → the surface forms naming it; the first group key is the canonical noun
BODIES: dict[str, tuple[str, ...]] = {
    "Senate": ("Senate",),
    "Chamber of Deputies": ("Chamber of Deputies",),
    "Parliament": ("Parliament",),
    "Cabinet": ("Cabinet",),
    "Foreign Ministry": ("Foreign Ministry", "Foreign Office", "Ministry of Foreign Affairs",
                         "Ministry for Foreign Affairs", "Foreign Department", "State Department"),
    "War Ministry": ("War Ministry", "War Office", "Ministry of War"),
    "Ministry of Finance": ("Ministry of Finance", "Finance Ministry"),
    "Treasury": ("Treasury",),
    "Admiralty": ("Admiralty",),
    "General Staff": ("General Staff",),
    "High Command": ("High Command", "Supreme Command"),
    "Army": ("Army",),
    "Navy": ("Navy",),
    "Air Force": ("Air Force",),
    "Legation": ("Legation",),
    "Embassy": ("Embassy",),
    "Consulate": ("Consulate",),
    "Communist Party": ("Communist Party",),
    "Council of Ministers": ("Council of Ministers",),
    "Interior Ministry": ("Interior Ministry", "Ministry of the Interior", "Ministry of Interior"),
}
LEGISLATURES = ("Senate", "Chamber of Deputies", "Parliament")  # resolved from context when bare

ORG_HEADS = ("Commission", "Committee", "Council", "Bank", "Company", "Co.", "Corporation", "Corp.",
             "Bureau", "Institute", "Association", "Society", "Trust", "Syndicate", "Department",
             "Board", "Agency", "Administration", "Survey", "Relief", "League", "Party", "Ministry",
             "Commissariat", "Office", "Battalion", "Regiment", "Brigade", "Division", "Legion",
             "Fleet", "Army", "Club", "Federation", "Tribunal", "Court", "University", "Academy", "College",
             "Institution")
FIRM_HEADS = frozenset({"Company", "Co.", "Corporation", "Corp.", "Trust", "Syndicate"})
COMPLEMENT_HEADS = frozenset({"Commission", "Committee", "Council", "Bank", "Bureau", "Institute",
                              "Association", "Society", "Department", "Board", "Ministry",
                              "Commissariat", "Office", "League", "Federation", "Tribunal", "Court"})
PLACE_HEADS = ("Railway", "Railroad", "River", "Sea", "Ocean", "Gulf", "Bay", "Strait", "Straits", "Lake",
               "Island", "Islands", "Peninsula", "Mountains", "Canal", "Road", "Highway", "Palace",
               "Square", "Street", "Line", "Valley", "Desert", "Pass", "Harbour", "Harbor", "Station")
PLACE_PREFIXES = ("Cape", "Fort", "Fortín", "Fortin", "Lake", "Mount", "Port")
PLACE_OF = ("Gulf", "Sea", "Bay", "Strait", "Straits", "Isle", "Island", "Cape")

# modifiers that do not make a name proper on their own (two of them do: National Security Council)
GENERIC = frozenset("""
Executive Political Economic Central State National Supreme Foreign Special Mixed Permanent International
Joint General Provisional Revolutionary Military Extraordinary Consultative Advisory Standing Select
Preparatory Technical Legal Financial Finance Trade Security Control Reparation Reparations Liquidation
Allied Inter-Allied Regional Local Federal Imperial Royal High Higher Chief Main Administrative Diplomatic
Naval Air War Peace Labour Labor Workers' People's Peoples' Peasants' Soldiers' Party Communist Socialist
Democratic Social Liberal Conservative Republican Radical Popular Nationalist Government Public Private
Commercial Industrial Agricultural Scientific Cultural Educational Eastern Western Northern Southern Far
Near Middle Upper Lower New Old Great Grand Little Big Sub Organizing Organising Arbitration Conciliation
Neutral Investigating Inquiry Enquiry Credentials Drafting Steering Coordinating Emergency Relief Defence
Defense Information Press Publicity Statistical Medical Sanitary Health Railway Transport Supply
Purchasing Credit Loan Savings Reserve Investment Development Trading Export Import Oil Petroleum Mining
Shipping Steamship Insurance Electric Telegraph Telephone Radio Broadcasting News Red White Black Green
City Municipal District Provincial County Town Village Rural Urban Council Committee Commission Board
Bureau Department Office Central Executive Affairs Deputies Ministers Experts Officers Commissars
Operations Intelligence Police Secret Frontier Border Customs Harbour Port Post Postal Main Common Free
United Unified Union Independent Autonomous Soviet Socialist Left Right Centre Center Opposition Workers
Youth Women's Women Children's Students Veterans Army Navy Marine Guard Guards Rifle Cavalry Infantry
Artillery Tank Special Volunteer Reserve Territorial Colonial Expeditionary Home Overseas Fighting Free
""".split())
# modifiers that make no place name (Main Street, Party Line, Demarcation Line)
PLACE_GENERIC = frozenset("""Main New Old High Party General Front Supply Trade Communication Communications
Railway Transport Home Back Dividing Demarcation Armistice Frontier Border State National Federal Imperial
Royal Public Private Central Customs Trunk Branch Through Direct Junction Terminal Goods Passenger""".split())
ORDINALS = frozenset("""First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth Eleventh Twelfth
Thirteenth Fourteenth Fifteenth Sixteenth Seventeenth Eighteenth Nineteenth Twentieth""".split())
# words that start a sentence or a clause rather than a name
FUNCTION = frozenset("""
The A An This That These Those Our Its His Her Their My Your Such Each Every No Any Some All Both Another
Other In On At By For From With To Of And But Or Nor If When While After Before As Under Over Between
Among Through During Since Until Upon Into Against Without Within Why How What Which Who Whom Whose Where
Then Thus Hence Also Yet So Not It He She We They I You There Here Now Later Meanwhile However Moreover
Furthermore Although Though Because Whereas Once Only Even Both Either Neither Like Unlike Whether Please
Let See Cf Dear Yours Sir Madam Mr Mrs Dr Messrs Excellency
""".split())
STOP_ORG = frozenset({"Contracting"})  # High Contracting Party: treaty language
# words that never qualify a listed name (entities._NOT_QUALIFIERS, connectors)
_QUALIFIER_WORDS = ORDINALS | {"The", "Party", "and", "&", "of", "for", "on", "the"}

TITLES = frozenset("""
Mr Mrs Messrs Mme Mlle M Monsieur Madame Herr Frau Señor Senor Sr Señora Signor Signore Dr Doctor Professor
Prof Sir Lord Lady Count Countess Baron Baroness Prince Princess Duke Duchess Marquis Marquess Earl Viscount
Comrade Citizen General Gen Admiral Adm Colonel Col Major Maj Captain Capt Lieutenant Lieut Lt Commander
Marshal Ambassador Minister Secretary President Premier Chancellor Senator Consul Commissar Emperor Empress
King Queen Tsar Czar Tsarina Kaiser Shah Emir Sultan Ataman Hetman Father Cardinal Pope Judge Governor Mayor
Envoy
""".split())
ABBREVIATED = frozenset({"Mr", "Mrs", "Messrs", "Mme", "Mlle", "M", "Sr", "Dr", "Prof", "Gen", "Adm", "Col",
                         "Maj", "Capt", "Lieut", "Lt"})  # titles that may end in a full stop
LOWER_TITLES = frozenset("""admiral colonel marshal ambassador comrade prince baron emperor empress tsar""".split())
MONTHS = frozenset("""January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split())
ROLES = frozenset("""Chairman Chairmen President Vice Deputy Secretary Minister Head Chief Director Member Members
Commander Ambassador Envoy Consul Delegate Counsellor Councillor Attaché Representative Premier""".split())
ROLE_ENDS = ("Affairs", "State", "War", "Finance", "Justice", "Navy", "Marine", "Interior", "Commerce",
             "Trade", "Industry", "Agriculture", "Labour", "Labor", "Education", "Health", "Colonies",
             "Telegraphs", "Communications", "Railways", "Supply", "Defence", "Defense", "Treasury")
PARTICLES = frozenset({"de", "da", "di", "del", "della", "dos", "das", "du", "von", "van", "der", "den",
                       "ter", "ten", "la", "le", "y", "e", "bin", "ibn", "al", "el"})
NAME_STOP = frozenset("""
January February March April May June July August September October November December Monday Tuesday
Wednesday Thursday Friday Saturday Sunday Excellency Excellencies Highness Majesty Lordship Government
Governments Ministry Council Committee Commission Assembly Staff Headquarters Plenipotentiary Extraordinary
Elect Emeritus Chairman Chief Deputy Vice Acting Speaker Delegate Delegation Motors Electric Post Office
Court Consulate Embassy Legation Mission Army Navy Fleet Forces Corps Division Party Union Republic Kingdom
Empire State States Affairs Foreign Department Bureau Board Bank Company Of The And In On At To For With By
From As That This These Those But Or If When While After Before Not No All It He She We They I You His Her
Its Our Their My Your Here There Then Now Do Please God Christ Lord Sir Madame Monsieur Herr General
Secretary President Minister Ambassador Commissioner Commissar Consul Senator Governor Premier Chancellor
Allied Allies Soviet Soviets Bolshevik Bolsheviks Communist Communists Red White Prime Grand Royal Imperial
Treaty Treaties Agreement Pact Convention Protocol Conference Congress Declaration Note Charter Covenant Act
Staffs European Asian Asiatic African Western Eastern Northern Southern Latin Arab Slav Christian Catholic
Orthodox Moslem Muslim Jewish Oriental Pacific Atlantic Baltic Balkan Central Command Headquarters High
""".split())
_MAX_NAME_WORDS = 5

# ------------------------------------------------------------------------------------------
# the states: adjectives, governments (states.yaml, the gazetteer's own file)


@dataclass(frozen=True)
class States:
    adjective_of: Mapping[str, str]  # adjective → state entity id
    primary: Mapping[str, str]  # state entity id → first adjective
    adjectives: Mapping[str, tuple[str, ...]]  # state entity id → its adjectives
    government_of: Mapping[str, str]  # government organisation id → state entity id


@functools.lru_cache(maxsize=4)
def load_states(directory: str | None = None) -> States:
    """The adjectives and governments of ``states.yaml`` (the same file ``load_gazetteer`` reads)."""
    path = Path(directory or GAZETTEER_DIR) / "states.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) if path.exists() else []
    adjective_of, primary, adjectives, government_of = {}, {}, {}, {}
    for e in entries or []:
        if not isinstance(e, dict) or not e.get("name") or not e.get("adjectives"):
            continue
        sid = f"state:{e.get('id') or slugify(str(e['name']))}"
        adjs = tuple(normalize(str(a)) for a in e["adjectives"])
        adjectives[sid] = adjs
        primary[sid] = adjs[0]
        for a in adjs:
            adjective_of.setdefault(a, sid)
        gname = str(e.get("government") or f"Government of {e['name']}")
        government_of[f"organisation:{slugify(gname)}"] = sid
    return States(adjective_of, primary, adjectives, government_of)


# ------------------------------------------------------------------------------------------
# regular expressions


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_BODY_SURFACES = {s: g for g, forms in BODIES.items() for s in forms}
_BODY_RE = re.compile(rf"(?<![\w-])({_alt(_BODY_SURFACES)})(?![\w-])")
_ORG_HEAD_RE = re.compile(rf"(?<![\w-])({_alt(ORG_HEADS)})(?!-|\w)")
_PLACE_HEAD_RE = re.compile(rf"(?<![\w-])({_alt(PLACE_HEADS)})(?![\w-])")
_PLACE_PREFIX_RE = re.compile(rf"(?<![\w-])(?:({_alt(PLACE_OF)}) of (?:the )?|({_alt(PLACE_PREFIXES)}) )(?=[A-ZÀ-ÞĀ-Ž])")
_SOVIET_RE = re.compile(r"(?<=[\w.] )Soviet(?![\w-])(?! [A-Z])")
_TITLE_RE = re.compile(
    rf"(?<![\w-])(?:(?:Minister|Secretary|Commissar|Commissioner) (?:of|for) (?:the )?(?:[A-Z][\w'-]* (?:and )?){{0,3}}?"
    rf"(?:{_alt(ROLE_ENDS)})|({_alt(ABBREVIATED)})\.?|({_alt((TITLES - ABBREVIATED) | LOWER_TITLES)})) +(?=[A-ZÀ-ÞĀ-Ž])")
_TOKEN_RE = re.compile(r"[^\W\d_][\w'-]*\.?|&")


@functools.lru_cache(maxsize=1)
def _triggers() -> ahocorasick.Automaton:
    """One automaton over the words that can start a rule's match, each with its rules: a paragraph
    without any is left alone, and each rule's pattern is tried only where one of its words stands."""
    words: dict[str, set[str]] = defaultdict(set)
    for surface in _BODY_SURFACES:
        words[surface.split(" ")[0]].add("body")
    for w in ORG_HEADS:
        words[w].add("org")
    for w in PLACE_HEADS:
        words[w].add("place")
    for w in PLACE_PREFIXES + PLACE_OF:
        words[w].add("prefix")
    for w in (TITLES - ABBREVIATED) | {"Minister", "Secretary", "Commissar", "Commissioner"}:
        words[w].add("title")
    for w in ABBREVIATED:  # short: only with what follows (not the M of Moscow)
        words[f"{w}."].add("title")
        words[f"{w} "].add("title")
    for w in LOWER_TITLES:
        words[f"{w} "].add("title")
    auto = ahocorasick.Automaton()
    for w, kinds in words.items():
        auto.add_word(w, (len(w), tuple(sorted(kinds))))
    auto.make_automaton()
    return auto


def _hits(norm: str) -> dict[str, list[int]]:
    """Rule → start positions of its trigger words in ``norm`` (whole words only)."""
    out: dict[str, list[int]] = defaultdict(list)
    n = len(norm) - 1
    for end, (length, kinds) in _triggers().iter(norm):
        start = end - length + 1
        if start:
            c = norm[start - 1]
            if c == "-" or c.isalnum():
                continue
        if end < n and norm[end].isalnum() and norm[end + 1].isalnum():
            continue
        for k in kinds:
            out[k].append(start)
    return out


def _matches(pattern: re.Pattern, norm: str, positions: list[int]):
    """``pattern`` matched at each of ``positions`` (left to right, no overlaps)."""
    last = -1
    for pos in sorted(set(positions)):
        if pos < last:
            continue
        m = pattern.match(norm, pos)
        if m:
            last = m.end()
            yield m
_NAME_TOKENS_RE = re.compile(r"(?:[^\W\d_][\w'-]*\.?)(?: (?:[^\W\d_][\w'-]*\.?))*")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;]\s+|[\"“‘(\[]\s*)$")
_POSSESSIVE_RE = re.compile(r"'s?$")


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def _is_initial(tok: str) -> bool:
    return len(tok) == 2 and tok[1] == "." and tok[0].isupper()


def _boundary_ok(norm: str, start: int, end: int) -> bool:
    """No letter, digit or hyphen glued to either side (``Franco-Soviet`` is no mention)."""
    if start > 0 and (norm[start - 1].isalnum() or norm[start - 1] in "-'"):
        return False
    return not (end < len(norm) and (norm[end].isalpha() or norm[end] == "-" and end + 1 < len(norm)
                                     and norm[end + 1].isalnum()))


_BODIES_CACHE: dict[int, tuple[Gazetteer, States, dict, dict]] = {}


def _listed_bodies(gaz: Gazetteer, states: States) -> tuple[dict[tuple[str, str], str], dict[str, tuple[str, str]]]:
    """The state bodies the gazetteer lists under a state adjective (``French Chamber of Deputies``
    → ``Chamber of Deputies (France)``): (state, body) → entity, and entity → (state, body)."""
    cached = _BODIES_CACHE.get(id(gaz))
    if cached and cached[0] is gaz and cached[1] is states:
        return cached[2], cached[3]
    body_of: dict[tuple[str, str], str] = {}
    body_state: dict[str, tuple[str, str]] = {}
    for sid, adjs in states.adjectives.items():
        if sid not in gaz.entities:
            continue
        for group, surfaces in BODIES.items():
            for a in adjs:
                for s in surfaces:
                    ids = {e for f in gaz.forms.get(f"{a} {s}", []) for e in f.entity_ids}
                    if len(ids) == 1:
                        eid = ids.pop()
                        body_of.setdefault((sid, group), eid)
                        body_state.setdefault(eid, (sid, group))
    _BODIES_CACHE.clear()
    _BODIES_CACHE[id(gaz)] = (gaz, states, body_of, body_state)
    return body_of, body_state


_SURNAMES_CACHE: dict[int, tuple[Gazetteer, dict[str, list[str]]]] = {}


def _listed_surnames(gaz: Gazetteer) -> dict[str, list[str]]:
    """Surname → the listed persons bearing it (last word of the canonical name)."""
    cached = _SURNAMES_CACHE.get(id(gaz))
    if cached and cached[0] is gaz:
        return cached[1]
    out: dict[str, list[str]] = defaultdict(list)
    for eid, ent in gaz.entities.items():
        if ent.type == "person":
            words = re.sub(r"\([^)]*\)|,.*", "", ent.name).split()
            if words:
                out[words[-1]].append(eid)
    _SURNAMES_CACHE.clear()
    _SURNAMES_CACHE[id(gaz)] = (gaz, out)
    return out


_TITLED_FUNCTION_RE = re.compile(r"\w[,;:]? (?:The|Of|And|In|On|To|For|With|At|By|From|Its|A|An) [A-Z]")


def _title_case(norm: str, heading: bool = False) -> bool:
    """A headline in title case (``The Soviet Union Enters The League``, a heading ``Commercial
    Relations and Relief``): its capitals say nothing."""
    if len(norm) > 400:
        return False  # prose
    if not heading and not _TITLED_FUNCTION_RE.search(norm):
        return False  # (the last condition below, the cheapest)
    words = [w for w in norm.split() if len(w) > 3 and w[0].isalpha()]
    if heading:
        return len(words) >= 2 and all(w[0].isupper() for w in words)
    # a capitalised function word inside it (``Enters The League``), and hardly a lowercase word
    return len(words) >= 3 and sum(w[0].islower() for w in words) <= 1 and bool(_TITLED_FUNCTION_RE.search(norm))


# ------------------------------------------------------------------------------------------
# one paragraph


@dataclass
class _Para:
    """What the rules found in one paragraph: gazetteer mentions dropped, mentions added (with
    the entities they create), person names for the source-wide pass."""

    drop: set[int] = field(default_factory=set)
    new: list[Mention] = field(default_factory=list)
    intros: list[tuple[int, int, tuple[str, ...], bool]] = field(default_factory=list)  # titled/signed (True) names


_ROW_FIELDS = itemgetter(*Mention._fields)  # an entity_mentions row → a Mention's fields
_new_tuple = tuple.__new__  # Mention(*fields) without the keyword-parsing constructor


class _Spans:
    """The spans taken in one paragraph: the gazetteer's (kept unless replaced) and the rules'."""

    def __init__(self, existing: list):
        self._rows = existing
        self._existing: list[Mention] | None = None
        self.taken: list[tuple[int, int]] = []

    @property
    def existing(self) -> list[Mention]:
        """The gazetteer's mentions (rows turned into ``Mention``s on first use)."""
        if self._existing is None:
            self._existing = [m if isinstance(m, Mention) else _new_tuple(Mention, _ROW_FIELDS(m)) for m in self._rows]
        return self._existing

    def claim(self, start: int, end: int, *, replace: bool = True) -> list[int] | None:
        """The gazetteer mentions a new span [start, end) replaces, or None when it cannot stand
        (it crosses or lies inside a mention, or overlaps a span the rules took)."""
        if any(s < end and start < e for s, e in self.taken):
            return None
        inside = []
        for i, m in enumerate(self.existing):
            if m.char_end <= start or m.char_start >= end:
                continue
            if replace and start <= m.char_start and m.char_end <= end and m.char_end - m.char_start < end - start:
                inside.append(i)
            else:
                return None
        self.taken.append((start, end))
        return inside


def _tokens_before(norm: str, start: int, limit: int = 8) -> list[tuple[int, int, str]]:
    """The words right before ``start`` (single spaces between them), nearest last."""
    lo = max(0, start - 100)
    if start <= lo or norm[start - 1] != " ":
        return []
    parts = norm[lo:start - 1].split(" ")
    if lo:
        parts = parts[1:]  # cut by the window
    out: list[tuple[int, int, str]] = []
    end = start - 1
    for w in reversed(parts[-limit:]):
        if not w or "\n" in w or "\t" in w:
            break
        out.append((end - len(w), end, w))
        end -= len(w) + 1
    out.reverse()
    return out


def _after_capital(norm: str, start: int) -> bool:
    """Whether a capitalised word stands right before ``start`` (one space between)."""
    if start < 2 or norm[start - 1] != " ":
        return False
    j = norm.rfind(" ", 0, start - 1) + 1
    return norm[j:j + 1].isupper() or norm[j:j + 1] in "\"“‘([" and norm[j + 1:j + 2].isupper()


def _modifiers(norm: str, start: int) -> list[tuple[int, int, str]]:
    """The capitalised words (``and``/``&`` between them allowed) right before ``start``: the
    modifiers of a head noun, without a leading function word, article or possessive."""
    mods: list[tuple[int, int, str]] = []
    for s, e, w in reversed(_tokens_before(norm, start)):
        opened = len(w) - len(w.lstrip("\"“‘([")) if w[:1] in "\"“‘([" else 0
        if opened:  # a quote or bracket opens the name: it starts after it, and nothing before counts
            s, w = s + opened, w[opened:]
            if w and _is_cap(w) and w not in FUNCTION and _TOKEN_RE.fullmatch(w):
                mods.append((s, e, w))
            break
        if w in ("and", "&"):
            mods.append((s, e, w))
            continue
        if w in FUNCTION or not _is_cap(w) or not _TOKEN_RE.fullmatch(w) or (w.endswith(".") and not _is_initial(w)):
            break
        if _POSSESSIVE_RE.search(w) and w not in GENERIC:
            break
        mods.append((s, e, w))
    mods.reverse()
    while mods and (mods[0][2] in ("and", "&") or mods[0][2] in FUNCTION):
        mods.pop(0)
    # a sentence's first word is capitalised anyway: a verb or adverb there is no modifier
    if mods and _SENTENCE_START_RE.search(norm[max(0, mods[0][0] - 3):mods[0][0]]) and \
            mods[0][2].endswith(("ing", "ed", "ly")):
        mods.pop(0)
    return mods


_PREV_CAP_RE = re.compile(r"([A-Z][\w'-]*) $")  # the capitalised word right before
_NEXT_CAP_RE = re.compile(r" ([A-Z][\w'-]*)")  # the capitalised word right after
_COMPLEMENT_RE = re.compile(r" (?:of|for|on) (?:the )?")
_COMPLEMENT_WORD_RE = re.compile(r"([A-Z][\w-]*(?:'s?)?)( (?:of|for)(?: the)? | (?:and|&) | |(?=[^\w])|$)")


def _complement(norm: str, end: int, existing: list[Mention]) -> int:
    """End of an ``of``/``for``/``on`` complement of capitalised words after a head (``Ministry of
    Industry and Commerce``, ``Committee for the Revolutionary Defence of Petrograd``); ``end`` when
    there is none. It stops before a month, a title or role, an initial, a person's name, and after
    a listed name that the next word does not continue with a connector."""
    m = _COMPLEMENT_RE.match(norm, end)
    if not m:
        return end
    pos, last = m.end(), end
    starts = {e.char_start: e for e in existing}
    while True:
        w = _COMPLEMENT_WORD_RE.match(norm, pos)
        if not w:
            break
        word = w.group(1)
        mention = starts.get(pos)
        if mention is not None:
            if mention.entity_id.startswith("person:"):
                break
            last = mention.char_end
            after = re.match(r" (?:(?:of|for)(?: the)?|and|&) (?=[A-Z])", norm[last:last + 12])
            if not after:
                break
            pos = last + after.end()
            continue
        if word in MONTHS or word in TITLES or word in ROLES or len(word) == 1:
            break
        last = w.end(1)
        if w.group(2) == "" or w.group(2) == " " and not norm[w.end():w.end() + 1].isupper():
            break
        pos = w.end()
    if norm[last - 2:last] == "'s" or norm[last - 1:last] == "'":  # a possessive ends it
        last -= 2 if norm[last - 1] == "s" else 1
    return last if last > m.end() else end


class Linker:
    """The rules, with the gazetteer's and the states' tables they read."""

    def __init__(self, gaz: Gazetteer, states: States | None = None):
        self.gaz = gaz
        self.states = states or load_states()
        self.new: dict[str, Entity] = {}
        # (state id, body) → the listed organisation, and back (cached per gazetteer object)
        self.body_of, self.body_state = _listed_bodies(gaz, self.states)

    # --- entities

    def entity(self, etype: str, name: str) -> str:
        """The id of the entity named ``name``: the gazetteer's when it has that id, else new."""
        name = " ".join(name.split())
        eid = f"{etype}:{slugify(name)}"
        if eid in self.gaz.entities:
            return eid
        if eid not in self.new:
            self.new[eid] = Entity(eid, etype, name)
        return eid

    def person(self, name: str) -> str | None:
        """The person named ``name`` (the source's fullest form): a listed person with that surname
        whose first initial agrees; None when the surname is listed and the name cannot tell which
        (a one-word name: the gazetteer's own decision stands); else a new person."""
        toks = name.split(" ")
        listed = _listed_surnames(self.gaz).get(toks[-1])
        if not listed:
            return self.entity("person", name)
        if len(toks) == 1:
            return None
        agree = [e for e in listed if self.gaz.entities[e].name[:1] == toks[0][:1]]
        return agree[0] if len(agree) == 1 else self.entity("person", name)

    def body(self, sid: str, group: str) -> str:
        return self.body_of.get((sid, group)) or self.entity("organisation", f"{self.states.primary[sid]} {group}")

    def _type(self, eid: str) -> str:
        ent = self.gaz.entities.get(eid) or self.new.get(eid)
        return ent.type if ent else eid.split(":", 1)[0]

    def _adjective_before(self, norm: str, start: int) -> tuple[int, str] | None:
        """(start, state id) of a state adjective right before ``start`` (one space between)."""
        words = _tokens_before(norm, start)
        for k in (3, 2, 1):
            if len(words) >= k:
                s = words[-k][0]
                sid = self.states.adjective_of.get(norm[s:start - 1])
                if sid and (s == 0 or norm[s - 1] not in "-"):
                    return s, sid
        return None

    # --- rule 1: state bodies

    def bodies(self, text: str, norm: str, spans: _Spans, para: _Para, carry: dict[str, str],
               hits: dict[str, list[int]]) -> None:
        found_states: set[str] = set()
        by_adjective: set[str] = set()
        bare: list[tuple[int, int, str]] = []
        for m in _matches(_BODY_RE, norm, hits.get("body", [])):
            start, end, group = m.start(), m.end(), _BODY_SURFACES[m.group(1)]
            adj = self._adjective_before(norm, start)
            sid = None
            if adj:
                prev = _PREV_CAP_RE.search(norm[max(0, adj[0] - 30):adj[0]])
                if prev and prev.group(1) not in FUNCTION:
                    continue  # First American Army: a longer name (rule 2's)
                start, sid = adj
            else:
                prev = _PREV_CAP_RE.search(norm[max(0, start - 30):start])
                after = re.match(r" of (?:the )?", norm[end:end + 10]) if not (prev and prev.group(1) not in FUNCTION) else None
                if after:
                    for e in spans.existing:
                        if e.char_start == end + after.end() and self._type(e.entity_id) == "state":
                            sid, end = e.entity_id, e.char_end
                            break
            if sid is None:
                prev = _PREV_CAP_RE.search(norm[max(0, start - 30):start])
                if group in LEGISLATURES and not (prev and prev.group(1) not in FUNCTION):
                    bare.append((m.start(), m.end(), group))
                continue
            if sid not in self.states.primary or not _boundary_ok(norm, start, end):
                continue
            eid = self.body(sid, group)
            replaced = spans.claim(start, end)
            if replaced is None:
                continue
            para.drop.update(replaced)
            para.new.append(Mention(start, end, text[start:end], eid, METHOD))
            found_states.add(sid)
            by_adjective.add(sid)
        if not bare:  # (a bare listed body, Chamber of Deputies, is among them too)
            return
        # the states the paragraph names: state mentions, "<adjective> Government", bodies above
        for e in spans.existing:
            if self._type(e.entity_id) == "state":
                found_states.add(e.entity_id)
            elif e.entity_id in self.states.government_of:
                found_states.add(self.states.government_of[e.entity_id])
                by_adjective.add(self.states.government_of[e.entity_id])
        named = found_states - NEVER_DECIDE
        decided = next(iter(named)) if len(named) == 1 and named <= by_adjective else None
        for i, e in enumerate(spans.existing):  # bare listed bodies the gazetteer gave to one state
            if e.entity_id not in self.body_state or i in para.drop:
                continue
            own, group = self.body_state[e.entity_id]
            if group not in LEGISLATURES or e.surface not in BODIES[group]:
                continue
            target = decided or (carry.get(group) if not named else None)
            if target and target != own and target in self.states.primary:
                para.drop.add(i)
                para.new.append(Mention(e.char_start, e.char_end, e.surface, self.body(target, group), METHOD))
                carry[group] = target
            elif named and own not in named:
                para.drop.add(i)  # another state's body, and the paragraph cannot say whose: unlinked
        for start, end, group in bare:
            target = decided or (carry.get(group) if not named else None)
            if not target or target not in self.states.primary or spans.claim(start, end, replace=False) is None:
                continue
            para.new.append(Mention(start, end, text[start:end], self.body(target, group), METHOD))
            carry[group] = target

    # --- rule 2: organisations

    def organisations(self, text: str, norm: str, spans: _Spans, para: _Para, hits: dict[str, list[int]]) -> None:
        for m in _matches(_ORG_HEAD_RE, norm, hits.get("org", [])):
            head = m.group(1)
            if not _after_capital(norm, m.start()) and not (head in COMPLEMENT_HEADS and
                                                            norm.startswith((" of ", " for ", " on "), m.end())):
                continue  # no modifier, no complement: nothing to look at
            mods = _modifiers(norm, m.start())
            end = _complement(norm, m.end(), spans.existing) if head in COMPLEMENT_HEADS else m.end()
            start = mods[0][0] if mods else m.start()
            if not mods and end == m.end() or norm[start:end] in _BODY_SURFACES:
                continue  # a head alone; a bare state body (rule 1's, from context)
            for e in spans.existing:  # a listed name among the modifiers: League of Nations Chaco Commission
                if e.char_start < start < e.char_end and self._type(e.entity_id) != "person":
                    mods = [(e.char_start, e.char_end, norm[e.char_start:e.char_end])] + mods
                    start = e.char_start
            after = _NEXT_CAP_RE.match(norm[end:end + 30])
            if after and after.group(1) not in FUNCTION:
                continue  # the name goes on (Party Congress, Army Command)
            words = [w for _, _, w in mods if w not in ("and", "&")]
            if any(w in STOP_ORG for w in words) or not self._proper_enough(words, end > m.end()):
                continue
            if not _boundary_ok(norm, start, end) or not self._not_listed(norm, start, m.start(), m.end(), end, spans, head):
                continue
            replaced = spans.claim(start, end)
            if replaced is None:
                continue
            para.drop.update(replaced)
            surface = _POSSESSIVE_RE.sub("", text[start:end]) if end == m.end() else text[start:end]
            para.new.append(Mention(start, start + len(surface), surface, self.entity("organisation", surface), METHOD))

    def _proper_enough(self, words: list[str], complement: bool) -> bool:
        """A proper modifier, two modifiers, or a complement; never state adjectives alone."""
        kinds = []
        for w in words:
            base = _POSSESSIVE_RE.sub("", w)
            if w in self.states.adjective_of or base in self.states.adjective_of:
                kinds.append("adjective")
            elif w in GENERIC or base in GENERIC:
                kinds.append("generic")
            elif w in ORDINALS:
                kinds.append("generic")
            else:
                kinds.append("proper")
        if "proper" in kinds:
            return True
        if complement:
            return True
        if kinds and all(k == "adjective" for k in kinds):
            return False
        return len(kinds) >= 2 and any(k == "generic" for k in kinds)

    def _not_listed(self, norm: str, start: int, head_start: int, head_end: int, end: int, spans: _Spans,
                    head: str) -> bool:
        """False when the name is a listed one (a mention covering the head) qualified only by states,
        organisations or the entity's own words (``UN Security Council``, ``London Foreign Office``,
        ``Allied Control Council for Germany``), or extended by a complement (``European Advisory
        Commission on Zones of Occupation``) unless the listed name is a generic one (``Central
        Committee of the Workers' Party of Vietnam``); or a listed firm with its legal form
        (``Standard Oil Company``)."""
        inside = [e for e in spans.existing if start <= e.char_start and e.char_end <= end]
        if head in FIRM_HEADS and any(e.char_start == start and e.char_end == head_start - 1 and
                                      self._type(e.entity_id) == "organisation" for e in inside):
            return False
        listed = [e for e in inside if e.char_start <= head_start and e.char_end >= head_end]
        if not listed:
            return True
        core = listed[0]
        generic = any(f.generic for f in self.gaz.forms.get(norm[core.char_start:core.char_end], []))
        if core.char_start == start and end > core.char_end and not generic:
            return False
        own = self.gaz.own_words.get(core.entity_id, frozenset())
        rest = list(norm[start:end])
        for e in inside:
            if e is core or self._type(e.entity_id) in ("state", "organisation", "place"):
                rest[e.char_start - start:e.char_end - start] = " " * (e.char_end - e.char_start)
        return not all(w in self.states.adjective_of or w in own or w in _QUALIFIER_WORDS for w in "".join(rest).split())

    # --- rule 3: places

    def places(self, text: str, norm: str, spans: _Spans, para: _Para, hits: dict[str, list[int]]) -> None:
        for m in _matches(_PLACE_HEAD_RE, norm, hits.get("place", [])):
            if not _after_capital(norm, m.start()):
                continue
            mods = _modifiers(norm, m.start())
            while any(w in ("and", "&") for _, _, w in mods):
                mods = mods[[w for _, _, w in mods].index("and" if any(w == "and" for _, _, w in mods) else "&") + 1:]
            words = [w for _, _, w in mods if w not in ("and", "&")]
            if not words or all(w in PLACE_GENERIC or w in ORDINALS for w in words):
                continue
            if m.group(1) == "River" and any(e.char_start == mods[0][0] and e.char_end == m.start() - 1
                                             for e in spans.existing):
                continue  # Khalkhin-Gol River: the listed river
            self._add_place(text, norm, mods[0][0], m.end(), spans, para)
        for m in _matches(_PLACE_PREFIX_RE, norm, hits.get("prefix", [])):
            name = _NAME_TOKENS_RE.match(norm, m.end())
            if not name:
                continue
            toks = []
            for w in name.group(0).split(" ")[:3]:
                if not _is_cap(w):
                    break
                if w.endswith(".") and not _is_initial(w):
                    toks.append(w[:-1])
                    break
                toks.append(w)
            while toks and (toks[-1] in FUNCTION or toks[-1] in NAME_STOP or not _is_cap(toks[-1])):
                toks.pop()
            if not toks or toks[0] in FUNCTION:
                continue
            end = m.end() + len(" ".join(toks))
            if (m.group(2) or m.group(1) in ("Strait", "Straits")) and \
                    any(e.char_start == m.end() and e.char_end == end for e in spans.existing):
                continue  # Port Dalny, the Straits of the Bosphorus: the listed place
            self._add_place(text, norm, m.start(), end, spans, para)
        for e in spans.existing if " Soviet" in norm else ():  # <place> Soviet
            m = _SOVIET_RE.match(norm, e.char_end + 1) if norm.startswith(" Soviet", e.char_end) else None
            if m and self._type(e.entity_id) == "place" and _boundary_ok(norm, e.char_start, m.end()):
                start = e.char_start
                replaced = spans.claim(start, m.end())
                if replaced is not None:
                    para.drop.update(replaced)
                    surface = text[start:m.end()]
                    para.new.append(Mention(start, m.end(), surface, self.entity("organisation", surface), METHOD))

    def _add_place(self, text: str, norm: str, start: int, end: int, spans: _Spans, para: _Para) -> None:
        if not _boundary_ok(norm, start, end):
            return
        replaced = spans.claim(start, end)
        if replaced is None:
            return
        para.drop.update(replaced)
        para.new.append(Mention(start, end, text[start:end], self.entity("place", text[start:end]), METHOD))

    # --- rule 4: persons (this paragraph's part: titled and signed names)

    def titled(self, norm: str, spans: _Spans, para: _Para, kind: str | None, hits: dict[str, list[int]]) -> None:
        for m in _matches(_TITLE_RE, norm, hits.get("title", [])):
            if m.group(1) == "M" and re.search(r"[A-Z]\. $", norm[max(0, m.start() - 3):m.start()]):
                continue  # J. M. Keynes: an initial
            name = _NAME_TOKENS_RE.match(norm, m.end())
            if not name:
                continue
            toks = self._name_tokens(name.group(0).split(" "))
            if toks:
                self._intro(norm, m.end(), toks, spans, para)
        if kind == "signature":
            stripped = norm.strip().rstrip(".,")
            lead = len(norm) - len(norm.lstrip())
            if _NAME_TOKENS_RE.fullmatch(stripped):
                toks = stripped.split(" ")
                if len(toks) <= _MAX_NAME_WORDS and self._name_tokens(toks) == toks:
                    self._intro(norm, lead, toks, spans, para, signed=True)

    @staticmethod
    def _name_tokens(words: list[str]) -> list[str]:
        """The leading words that can be a person's name: capitalised words, initials, particles
        between them; no title, month, institution word; a trailing possessive cut off."""
        toks: list[str] = []
        for w in words[:_MAX_NAME_WORDS]:
            bare = _POSSESSIVE_RE.sub("", w)
            if w.endswith(".") and not _is_initial(w):
                bare = w[:-1]
                if not bare or bare in NAME_STOP or bare.rstrip(".") in TITLES or not _is_cap(bare):
                    break
                toks.append(bare)
                break
            if w in PARTICLES and toks:
                toks.append(w)
                continue
            if "-" in bare and not all(part[:1].isupper() for part in bare.split("-")):
                break  # Commander-in-Chief
            if not _is_cap(bare) or bare in NAME_STOP or bare in TITLES or bare in MONTHS or bare in ROLES \
                    or bare.isupper() and len(bare) > 1 and not _is_initial(bare) \
                    or bare.endswith("s") and (bare[:-1] in TITLES or bare[:-1] in NAME_STOP or bare[:-1] in ROLES):
                break
            toks.append(bare)
            if bare != w:
                break
        while toks and (toks[-1] in PARTICLES or _is_initial(toks[-1])):
            toks.pop()
        return toks

    def _intro(self, norm: str, start: int, toks: list[str], spans: _Spans, para: _Para, signed: bool = False) -> None:
        if any(t.endswith("s") and t[:-1] in self.gaz.forms for t in toks):
            return  # Messrs. Milyukovs: a listed name in the plural
        end = start + len(" ".join(toks))
        for e in spans.existing:  # a name the gazetteer knows: it stays the gazetteer's
            if e.char_start < end and start < e.char_end:
                if e.char_start <= start or self._type(e.entity_id) == "person":
                    return
                end = e.char_start - 1
                toks = norm[start:end].split(" ")
                while toks and (toks[-1] in PARTICLES or _is_initial(toks[-1])):
                    toks.pop()
                end = start + len(" ".join(toks))
        if not toks or not _boundary_ok(norm, start, end) or spans.claim(start, end, replace=False) is None:
            return
        para.intros.append((start, end, tuple(toks), signed))


# ------------------------------------------------------------------------------------------
# persons across a source


def _canonical_names(intros: list[tuple[str, ...]]) -> dict[tuple[str, ...], str | None]:
    """Each name given → the fullest name the source gives that person: the longest with the same
    surname and first initial; a surname alone → the one such name, None when the source names
    two people by it (two first initials)."""
    by_surname: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for toks in intros:
        by_surname[toks[-1]].append(toks)
    out: dict[tuple[str, ...], str | None] = {}
    for surname, names in by_surname.items():
        groups: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for n in names:
            if len(n) > 1:
                groups[n[0][0]].append(n)
        best = {k: " ".join(max(g, key=lambda n: (len(n), len(" ".join(n)), " ".join(n)))) for k, g in groups.items()}
        for n in names:
            if len(n) > 1:
                out[n] = best[n[0][0]]
            else:
                out[n] = next(iter(best.values())) if len(best) == 1 else surname if not best else None
    return out


def _bare_forms(canonical: str) -> list[str]:
    """The forms a later bare use may take: the surname and longer tails of the name that do
    not start with an initial (``Saavedra Lamas``, ``de Gaulle``, ``Lamas``)."""
    toks = canonical.split(" ")
    forms = []
    for i in range(1, len(toks)):
        tail = toks[i:]
        if not _is_initial(tail[0]) and (_is_cap(tail[0]) or tail[0] in PARTICLES):
            forms.append(" ".join(tail))
    return forms or [canonical]


def source_mentions(paragraphs: list[dict], mentions: Mapping[str, list], gaz: Gazetteer,
                    linker: Linker | None = None) -> tuple[dict[str, tuple[set[int], list[Mention]]], dict[str, Entity]]:
    """The rules over one source. ``paragraphs`` (paragraph_id, doc_id, kind, text) in document
    order; ``mentions`` the gazetteer's per paragraph_id (``Mention``s or entity_mentions rows). Returns, per paragraph with changes,
    (indices of its gazetteer mentions to drop, mentions to add), and the new entities."""
    linker = linker or Linker(gaz)
    linker.new = {}
    found: dict[str, _Para] = {}
    spans_of: dict[str, _Spans] = {}
    carry: dict[str, dict[str, str]] = defaultdict(dict)  # doc_id → body → state
    first_intro: dict[str, int] = {}
    all_intros: list[tuple[str, ...]] = []
    norms: dict[int, str] = {}  # paragraph index → normalised text (the persons' pass reads them again)
    for i, p in enumerate(paragraphs):
        text = p.get("text") or ""
        if not text:
            continue
        norm = norms[i] = normalize(text)
        hits = _hits(norm)
        kind = p.get("kind")
        if not hits and kind != "signature" and " Soviet" not in norm:
            continue
        spans = spans_of[p["paragraph_id"]] = _Spans(mentions.get(p["paragraph_id"], []))
        para = _Para()
        if "body" in hits:
            linker.bodies(text, norm, spans, para, carry[p.get("doc_id") or ""], hits)
        if not _title_case(norm, kind == "heading"):
            if "org" in hits:
                linker.organisations(text, norm, spans, para, hits)
            if "place" in hits or "prefix" in hits or " Soviet" in norm:
                linker.places(text, norm, spans, para, hits)
            if "title" in hits or kind == "signature":
                linker.titled(norm, spans, para, kind, hits)
        elif kind == "signature":
            linker.titled(norm, spans, para, kind, {})
        for _, _, toks, signed in para.intros:
            all_intros.append((i, toks, signed))
        if para.drop or para.new or para.intros:
            found[p["paragraph_id"]] = para
    if all_intros:
        # words the source also writes in lowercase: a one-word titled name or a signature made of
        # them is no name (General Treaty, Mr. Long; a heading taken for a signature)
        common = _lowercase_uses(paragraphs, {t for _, toks, signed in all_intros for t in (toks if signed else toks[-1:])
                                              if not _is_initial(t)})
        kept = [(i, toks) for i, toks, signed in all_intros
                if not (toks[-1] in common or signed and any(t in common for t in toks))]
        for i, toks in kept:
            first_intro.setdefault(toks[-1], i)
        canonical = _canonical_names([toks for _, toks in kept])
        _persons(paragraphs, found, spans_of, mentions, linker, canonical, first_intro, common, norms)
    out = {pid: (para.drop, sorted(para.new)) for pid, para in found.items() if para.drop or para.new}
    return out, dict(linker.new)


def _persons(paragraphs: list[dict], found: dict[str, _Para], spans_of: dict[str, _Spans], mentions: Mapping[str, list],
             linker: Linker, canonical: dict[tuple[str, ...], str | None], first_intro: dict[str, int],
             common: set[str], norms: Mapping[int, str]) -> None:
    """Titled and signed names become person mentions; later bare uses of their surnames too (a
    surname the source also writes in lowercase, not at a sentence start). A name whose surname is
    a listed person's and whose first initial agrees is that person."""
    forms: dict[str, str] = {}  # bare form → canonical (a surname of one person only)
    people: dict[str, set[str]] = defaultdict(set)
    for name in canonical.values():
        if name:
            people[name.split(" ")[-1]].add(name)
    for surname, names in people.items():
        if len(names) == 1 and None not in {canonical.get((surname,), "")}:
            for f in _bare_forms(next(iter(names))):
                forms.setdefault(f, next(iter(names)))
    bare = _automaton(forms)
    few = list(forms) if len(forms) <= 12 else None  # a substring test is cheaper than the automaton
    ids = {name: linker.person(name) for name in canonical.values() if name}
    for i, p in enumerate(paragraphs):
        pid = p["paragraph_id"]
        para = found.get(pid)
        for start, end, toks, _ in para.intros if para else []:
            name = canonical.get(toks)
            if name and ids[name]:
                text = p["text"]
                para.new.append(Mention(start, end, text[start:end], ids[name], METHOD))
        text = p.get("text") or ""
        if bare is None or not text or (few and not any(f in text for f in few)):
            continue
        norm = norms[i]
        if few is None and next(bare.iter(norm), None) is None:
            continue
        spans = spans_of.get(pid)
        for start, end, form in _whole_words(bare, norm):
            name = forms[form]
            if i < first_intro.get(name.split(" ")[-1], len(paragraphs)) or not ids[name]:
                continue
            if re.match(r" [A-Z]", norm[end:end + 2]):
                continue  # a first name: Francis Lindley
            if any(s < end and start < e for s, e, _, _ in (para.intros if para else [])):
                continue
            before = norm[max(0, start - 40):start]
            prev = re.search(r"([A-Z][\w'-]*)\.? $", before)
            if prev and prev.group(1) not in FUNCTION and prev.group(1) not in TITLES:
                continue  # after another capitalised word: part of another name
            if form in common and _SENTENCE_START_RE.search(before):
                continue
            if spans is None:
                spans = spans_of[pid] = _Spans(mentions.get(pid, []))
            if spans.claim(start, end, replace=False) is None:
                continue
            if para is None:
                para = found[pid] = _Para()
            para.new.append(Mention(start, end, text[start:end], ids[name], METHOD))


def _automaton(words) -> ahocorasick.Automaton | None:
    if not words:
        return None
    auto = ahocorasick.Automaton()
    for w in words:
        auto.add_word(w, w)
    auto.make_automaton()
    return auto


def _whole_words(auto: ahocorasick.Automaton, text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of the automaton's words standing as whole words in ``text``, the
    longest where they overlap (``Saavedra Lamas`` before ``Lamas``), left to right."""
    found = []
    n = len(text)
    for end, w in auto.iter(text):
        start = end + 1 - len(w)
        if start and (text[start - 1].isalnum() or text[start - 1] in "-'") or \
                end + 1 < n and (text[end + 1].isalnum() or text[end + 1] == "-" and end + 2 < n and text[end + 2].isalnum()):
            continue
        found.append((start, end + 1, w))
    found.sort(key=lambda t: (t[0], -t[1]))
    out, last = [], -1
    for t in found:
        if t[0] >= last:
            out.append(t)
            last = t[1]
    return out


def _lowercase_uses(paragraphs: list[dict], words) -> set[str]:
    """The words whose lowercase spelling the source uses as a word."""
    lower = {w.lower(): w for w in words if w.lower() != w}
    if not lower:
        return set()
    text = "\n".join(p.get("text") or "" for p in paragraphs)
    if len(lower) <= 8:  # a few words: a search each (a scan of the text each)
        return {w for lw, w in lower.items() if _has_word(text, lw)}
    found: set[str] = set()  # many: one pass of an automaton
    n = len(text)
    for end, lw in _automaton(lower).iter(text):
        start, end = end + 1 - len(lw), end + 1
        if lw not in found and not (start and (text[start - 1].isalnum() or text[start - 1] == "-")) and \
                not (end < n and (text[end].isalnum() or text[end] == "-")):
            found.add(lw)
    return {lower[lw] for lw in found}


def _has_word(text: str, word: str) -> bool:
    """Whether ``word`` stands in ``text`` as a whole word (``str.find``: fast on long texts)."""
    pos = text.find(word)
    while pos != -1:
        end = pos + len(word)
        if not (pos and (text[pos - 1].isalnum() or text[pos - 1] == "-")) and \
                not (end < len(text) and (text[end].isalnum() or text[end] == "-")):
            return True
        pos = text.find(word, pos + 1)
    return False


# ------------------------------------------------------------------------------------------
# rows


def add_unlisted(by_source: Mapping[str, list[dict]], mentions: list[dict], gaz: Gazetteer
                 ) -> tuple[list[dict], Mapping[str, Entity]]:
    """``build_entity_tables``' mention rows with the rules' added (and the gazetteer rows they
    replace removed), and the entities to read names from (the gazetteer's and the new ones)."""
    by_para: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        by_para[m["paragraph_id"]].append(m)
    linker = Linker(gaz)
    new_entities: dict[str, Entity] = {}
    drop_rows: set[int] = set()
    added: list[dict] = []
    for source_id in sorted(by_source):
        paragraphs = sorted(by_source[source_id], key=itemgetter("paragraph_id"))
        changes, entities = source_mentions(paragraphs, by_para, gaz, linker)
        new_entities.update(entities)
        by_id = {p["paragraph_id"]: p for p in paragraphs}
        for pid, (drop, new) in changes.items():
            drop_rows.update(id(by_para[pid][i]) for i in drop)
            p = by_id[pid]
            added += [{"entity_id": m.entity_id, "paragraph_id": pid, "doc_id": p["doc_id"], "source_id": source_id,
                       "char_start": m.char_start, "char_end": m.char_end, "surface": m.surface, "method": METHOD}
                      for m in new]
    if not drop_rows and not added:
        return mentions, gaz.entities
    kept = [m for m in mentions if id(m) not in drop_rows]
    return kept + added, ChainMap(new_entities, gaz.entities)



def add_markup(paragraphs: list[dict], mentions: list[dict], entities: list[dict], names: list, gaz: Gazetteer
               ) -> tuple[list[dict], list[dict]]:
    """``markup.add_markup_mentions`` for ``build_entity_tables``' output (``entities`` rows and
    ``mentions``, the rules' among them): the markup step sees the gazetteer's mentions only (it
    resolves marked names through them, and knows only the gazetteer's entities); a rule mention
    overlapping a marked name then gives way to it, as a gazetteer mention does."""
    from pipelines.extraction.entities import entity_rows
    from pipelines.extraction.markup import add_markup_mentions

    rules = [m for m in mentions if m["method"] == METHOD]
    if not rules:
        return add_markup_mentions(paragraphs, mentions, names, gaz)
    marked_entities, marked = add_markup_mentions(paragraphs, [m for m in mentions if m["method"] != METHOD], names, gaz)
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in marked:
        if m["method"] == "markup":
            spans[m["paragraph_id"]].append((m["char_start"], m["char_end"]))
    kept = [m for m in rules if not any(s < m["char_end"] and m["char_start"] < e for s, e in spans.get(m["paragraph_id"], ()))]
    known = {r["entity_id"]: Entity(r["entity_id"], r["type"], r["name"]) for r in entities + marked_entities
             if r["entity_id"] not in gaz.entities}
    out = sorted(marked + kept, key=itemgetter("entity_id", "paragraph_id", "char_start"))
    return entity_rows(out, ChainMap(known, gaz.entities)), out
