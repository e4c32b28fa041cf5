"""Synthetic chat text for the context and search benchmarks: a pool of sentences with exact
o200k_base token counts and the fake embedding model's vectors, and the search queries.

Words follow Zipf laws, as in real text: function words (about 40% of the words) from their own
list; content words from a curated list of ~950 common English words (most frequent first) or,
for 8% of them, from a long tail of 30,000 generated rare words (made-up names of places, products,
people); a few first names and numbers. A top content word is in ~5% of the messages, a tail word
in a handful to a few hundred per million.

A message is 1-6 sentences of the pool joined by single spaces. Both derived quantities add up
sentence by sentence, so SQL can assemble messages from the pool and still store exact figures:
  token_count  o200k_base counts: the first sentence as is, each next one with its leading space
               (sentences end with punctuation and start with a letter, so no token spans two)
  embedding    the fake vendor's bag-of-words vector (tests/fakes/embedding.py) is the normalised
               sum of per-word +-1 entries, so a message's vector is the normalised sum of its
               sentences' (sparse, unnormalised) vectors
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FUNCTION_WORDS = _split(
    """
    the I you and to a of it that is in we was for my this on but with just so have be not are
    they at do what if me can your he she all about like there will as or from an would one know
    get when our out up then them some had how because really no yes think going his her were been
    did could also more very now here which who their should any too after before still over into
    than only these those other where why while much many most again never always maybe sometimes
    usually already soon today tomorrow yesterday tonight since until around through during
    without under between both each every another same such own off down back well even though
    let us him its being has does doing done make made go went got see saw say said tell told
    """
)

CONTENT_WORDS = _split(
    """
    time good work want need day people thing week home way look great year new love feel right
    little long help find call next last friend family night morning place plan sure take give
    last lot nice start keep old life job try talk thanks best idea school money talked house
    probably weekend place world actually hope house kids game watch read stuff start yeah okay
    coffee dinner lunch trip meeting project team car city book movie music song dog cat garden
    weather rain phone email message problem question answer reason minute hour month early late
    busy quiet happy tired hard easy big small different important free open close check buy pay
    cook eat drink sleep walk run drive travel visit meet learn teach build fix move change leave
    stay live play write send bring remember forget finish wait agree understand decide believe
    worry enjoy miss share wonder guess mean seem sound happen follow carry hold turn return
    mother father brother sister son daughter wife husband baby parents boss client doctor
    teacher student neighbor colleague manager partner guest office store shop restaurant
    kitchen room bedroom door window table chair bed floor wall roof street road park beach
    mountain river lake forest island airport station hotel hospital church library museum
    market bank gym class course lesson exam test homework report deadline budget schedule
    calendar appointment interview presentation conference event party wedding birthday holiday
    vacation flight train bus bike ticket bag box gift card letter note list picture photo video
    camera computer laptop screen app website account password file folder document printer
    battery charger cable internet wifi network server database code bug feature release update
    version design model data test system service company business market price cost sale deal
    order delivery package shipping customer product brand store contract invoice payment salary
    tax insurance loan rent mortgage apartment lease furniture sofa couch lamp shelf closet
    laundry dishes groceries breakfast snack dessert cake bread cheese butter milk egg chicken
    beef pork fish salmon rice pasta pizza burger sandwich salad soup sauce fruit apple banana
    orange lemon berry grape tomato potato onion garlic pepper carrot bean corn mushroom spinach
    tea juice beer wine water sugar salt oil flour chocolate cookie pie recipe oven stove fridge
    freezer pan pot knife fork spoon plate cup glass bottle jar sunny cloudy windy snowy storm
    snow wind cold hot warm cool temperature season spring summer autumn winter sunrise sunset
    health doctor nurse medicine pill fever cough headache pain injury knee back shoulder
    exercise workout yoga running swimming cycling hiking climbing tennis soccer football
    basketball baseball golf hockey match score team coach player season league stadium fans
    ticket concert band guitar piano drums singer album playlist podcast show series episode
    season actor director film theater stage dance painting drawing art gallery photography
    novel story chapter author poem magazine newspaper article blog post comment review rating
    opinion advice suggestion decision choice option chance risk luck mistake success failure
    goal dream habit routine hobby skill talent experience memory feeling mood stress anxiety
    energy focus patience confidence motivation career promotion raise resume application offer
    position role task assignment responsibility priority process strategy vision mission
    community volunteer charity donation neighborhood village town country state capital border
    culture language history science math physics chemistry biology economics politics election
    government law court police rule policy news story headline weekend evening afternoon noon
    midnight hours minutes seconds moment future past present age birthday anniversary date
    relationship marriage divorce pregnancy child toddler teenager adult grandparent grandma
    grandpa uncle aunt cousin nephew niece puppy kitten pet vet horse bird chicken cow sheep
    farm field tree flower grass plant seed soil fence yard porch garage basement attic stairs
    elevator parking traffic highway bridge tunnel corner block map direction distance mile
    kilometer trail path view sky cloud star moon sun ocean sea wave sand shell rock hill valley
    desert jungle camping tent fire wood stone metal plastic paper cotton wool silk leather shoe
    boot sock shirt dress skirt jacket coat sweater hat scarf glove belt watch ring necklace
    earring glasses umbrella wallet purse key lock alarm clock timer light bulb switch plug
    heater fan air conditioner noise music silence voice sound smell taste touch sight dream
    nightmare sleep nap rest break pause vacation trip journey adventure tour guide map passport
    visa luggage suitcase backpack souvenir beachfront resort cabin cottage villa lodge hostel
    reservation booking refund discount coupon membership subscription renewal trial upgrade
    download upload install setup settings profile login signup notification reminder alert
    backup storage cloud sync device tablet keyboard mouse monitor speaker headphones microphone
    charger remote television radio console controller headset drone robot engine motor wheel
    tire brake gear fuel gas station mechanic repair garage insurance accident ticket license
    registration inspection permit paperwork form signature stamp envelope mail package courier
    warehouse factory machine tool hammer nail screw drill saw ladder paint brush roller wall
    ceiling tile carpet curtain blanket pillow sheet towel soap shampoo toothbrush mirror sink
    shower bathtub toilet faucet pipe leak plumber electrician contractor renovation project
    estimate quote bill receipt expense savings investment stock fund retirement pension bonus
    paycheck overtime shift commute remote hybrid deadline sprint standup retro demo roadmap
    milestone backlog ticket estimate review feedback approval launch campaign marketing sales
    revenue profit growth target forecast quarter meeting agenda minutes summary recap notes
    whiteboard slide deck spreadsheet chart graph metric dashboard survey research analysis
    experiment hypothesis result conclusion paper thesis professor lecture seminar workshop
    training certificate degree diploma graduation semester campus dorm roommate scholarship
    tuition loan internship volunteer mentor mentee recruiter hiring onboarding offboarding
    vacation sick leave maternity paternity benefits wellness therapy counseling meditation
    journal gratitude mindfulness breathing stretching posture diet nutrition protein vitamin
    calorie fasting smoothie vegan vegetarian allergy gluten dairy peanut shellfish spicy sweet
    sour bitter salty crispy creamy fresh frozen homemade leftover takeout delivery picnic
    barbecue grill campfire marshmallow lantern flashlight compass binoculars kayak canoe boat
    sailing fishing surfing skiing snowboarding skating sledding hunting gardening knitting
    sewing baking pottery woodworking origami puzzle chess cards board trivia karaoke bowling
    """
)

NAMES = _split(
    """
    Alice Bob Carol David Emma Frank Grace Henry Isabel Jack Karen Liam Maria Noah Olivia Peter
    Quinn Rachel Sam Tina Umar Vera Will Xena Yusuf Zoe Anna Ben Chloe Dan Ella Finn Gina Hugo
    Ivy Jonas Kate Leo Mia Nina Oscar Paula Rosa Sara Tom Uma Victor Wendy Yara Zach Paris London
    Berlin Tokyo Madrid Rome Boston Chicago Denver Seattle Austin Lisbon Prague Vienna Dublin
    Oslo Toronto Sydney Mumbai Cairo Nairobi Lima Seoul
    """
)

TAIL_WORDS = 30_000
_ONSETS = _split("b br c ch d dr f fl g gr h j k kl l m n p pl pr qu r s sh sk st t th tr v w z")
_VOWELS = _split("a e i o u ai ea ou io")
_CODAS = ["", "", "", "n", "r", "l", "s", "m", "th", "nd", "rk", "st", "x"]
_PUNCTUATION = ".....?!"
_WORD = re.compile(r"\w+")  # as tests/fakes/embedding.py splits words

# Zipf laws: weight 1 / (rank + offset); the offset stands for the words ahead of these in a real
# frequency list (function words ahead of the content words, common words ahead of the tail).
ZIPF_OFFSET, TAIL_ZIPF_OFFSET = 60, 100
FUNCTION_SHARE, NAME_SHARE, NUMBER_SHARE, TAIL_SHARE = 0.42, 0.03, 0.02, 0.08
SENTENCES_PER_MESSAGE = ((1, 25), (2, 35), (3, 22), (4, 10), (5, 5), (6, 3))  # (count, weight %)


def tail_words(count: int = TAIL_WORDS, seed: int = 7) -> list[str]:
    """Made-up, pronounceable words (2-3 syllables), none of them a listed word."""
    rng = random.Random(seed)
    taken = {w.lower() for w in (*FUNCTION_WORDS, *CONTENT_WORDS, *NAMES)}
    words: list[str] = []
    while len(words) < count:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.choice((2, 2, 3)))
        ) + rng.choice(_CODAS)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _zipf(count: int, offset: int) -> list[float]:
    return _cumulative([1.0 / (rank + offset) for rank in range(1, count + 1)])


def _pick(words: Sequence[str], cumulative: list[float], rng: random.Random) -> str:
    x = rng.random() * cumulative[-1]
    return words[min(bisect.bisect(cumulative, x), len(words) - 1)]


@dataclass(frozen=True)
class Vocabulary:
    listed: tuple[str, ...]  # CONTENT_WORDS, deduplicated, most frequent first
    tail: tuple[str, ...]  # generated rare words, most frequent first
    listed_cum: list[float]
    tail_cum: list[float]
    function_cum: list[float]

    @classmethod
    def build(cls) -> Vocabulary:
        listed = tuple(dict.fromkeys(CONTENT_WORDS))
        tail = tuple(tail_words())
        return cls(
            listed=listed,
            tail=tail,
            listed_cum=_zipf(len(listed), ZIPF_OFFSET),
            tail_cum=_zipf(len(tail), TAIL_ZIPF_OFFSET),
            function_cum=_zipf(len(FUNCTION_WORDS), 2),
        )

    def content_word(self, rng: random.Random) -> str:
        if rng.random() < TAIL_SHARE:
            return _pick(self.tail, self.tail_cum, rng)
        return _pick(self.listed, self.listed_cum, rng)

    def function_word(self, rng: random.Random) -> str:
        return _pick(FUNCTION_WORDS, self.function_cum, rng)

    def sentence(self, rng: random.Random) -> str:
        """5-14 words, capitalised, ending with punctuation."""
        words: list[str] = []
        for position in range(rng.randint(5, 14)):
            x = rng.random()
            if x < NAME_SHARE:
                words.append(rng.choice(NAMES))
            elif x < NAME_SHARE + NUMBER_SHARE and position > 0:
                words.append(str(rng.choice((rng.randint(1, 12), rng.randint(13, 2030)))))
            elif x < NAME_SHARE + NUMBER_SHARE + FUNCTION_SHARE:
                words.append(self.function_word(rng))
            else:
                words.append(self.content_word(rng))
        first = words[0]
        words[0] = first if first == "I" else first[0].upper() + first[1:]
        return " ".join(words) + rng.choice(_PUNCTUATION)


# -- the sentence pool --------------------------------------------------------------------------


def _word_slot(word: str, dimensions: int) -> tuple[int, float]:
    """Where the fake vendor's hashed_embedding puts a (lower-cased) word, and with which sign."""
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "big")
    return value % dimensions, 1.0 if (value >> 63) & 1 else -1.0


@dataclass(frozen=True)
class SentencePool:
    """Sentences with o200k_base token counts (alone, and after a space) and their unnormalised
    bag-of-words vectors as pgvector `sparsevec` literals (1-based indexes)."""

    texts: list[str]
    first_tokens: list[int]
    next_tokens: list[int]
    vectors: list[str]
    dimensions: int

    def __len__(self) -> int:
        return len(self.texts)

    def rows(self) -> list[tuple[int, str, int, int, str]]:
        return [
            (i, text, self.first_tokens[i], self.next_tokens[i], self.vectors[i])
            for i, text in enumerate(self.texts)
        ]


def sparse_vector(text: str, dimensions: int, cache: dict[str, tuple[int, float]]) -> str | None:
    """The unnormalised bag-of-words vector as a sparsevec literal; None if it is all zeros."""
    entries: dict[int, float] = {}
    for word in _WORD.findall(text.lower()):
        slot = cache.get(word)
        if slot is None:
            slot = cache[word] = _word_slot(word, dimensions)
        entries[slot[0]] = entries.get(slot[0], 0.0) + slot[1]
    body = ",".join(f"{i + 1}:{v:g}" for i, v in sorted(entries.items()) if v != 0.0)
    return f"{{{body}}}/{dimensions}" if body else None


def build_pool(size: int, dimensions: int, seed: int) -> SentencePool:
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")
    vocabulary = Vocabulary.build()
    rng = random.Random(seed)
    cache: dict[str, tuple[int, float]] = {}
    texts: list[str] = []
    vectors: list[str] = []
    seen: set[str] = set()
    while len(texts) < size:
        text = vocabulary.sentence(rng)
        vector = sparse_vector(text, dimensions, cache)
        if vector is None or text in seen:
            continue
        seen.add(text)
        texts.append(text)
        vectors.append(vector)
    # One by one: the batch API's threads are slower on a small, busy machine.
    first = [len(encoding.encode_ordinary(t)) for t in texts]
    following = [len(encoding.encode_ordinary(" " + t)) for t in texts]
    return SentencePool(texts, first, following, vectors, dimensions)


# -- queries -------------------------------------------------------------------------------------

QUERY_KINDS = ("frequent words", "rare words", "questions")
STOPWORD_KIND = "stop words only"
_QUESTIONS = (
    "What did {name} say about the {a}?",
    "Where is the {a} {name} mentioned?",
    "When is the {a} with {name}?",
    "Do you remember the {a} and the {b}?",
    "How was the {a} last week?",
    "Why did {name} cancel the {a}?",
    "what about the {a}, {b} and {c}?",
    "Has {name} finished the {a} yet?!",
    "Is the {a} still {b}?",
    "Who brought the {a} to the {b}?",
)
_STOPWORD_QUERIES = ("what is it?", "and then?", "was it you?", "how about that!", "so what...")


def queries(pool: SentencePool, count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (kind, query) pairs, the QUERY_KINDS in turn: 1-2 of the 25 most frequent content
    words; a tail word that occurs in the pool (alone, or with a frequent word); a question with
    punctuation, a name and mid-frequency words (ranks 50-600)."""
    vocabulary = Vocabulary.build()
    rng = random.Random(seed)
    top = vocabulary.listed[:25]
    middle = vocabulary.listed[50:600]
    tail = set(vocabulary.tail)
    used = sorted({w for t in pool.texts for w in _WORD.findall(t.lower()) if w in tail})
    rare = used or list(vocabulary.tail)
    out: list[tuple[str, str]] = []
    for kind in itertools.islice(itertools.cycle(QUERY_KINDS), count):
        if kind == "frequent words":
            query = " ".join(rng.sample(top, rng.choice((1, 2))))
        elif kind == "rare words":
            word = rng.choice(rare)
            query = word if rng.random() < 0.5 else f"{word} {rng.choice(top)}"
        else:
            a, b, c = rng.sample(middle, 3)
            query = rng.choice(_QUESTIONS).format(name=rng.choice(NAMES[:50]), a=a, b=b, c=c)
        out.append((kind, query))
    return out


def stopword_queries(count: int) -> list[str]:
    """Queries with no indexable word: the server falls back to a substring match."""
    return [_STOPWORD_QUERIES[i % len(_STOPWORD_QUERIES)] for i in range(count)]
