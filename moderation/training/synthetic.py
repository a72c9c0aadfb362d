"""Templated sentences generated from the lexicon: dehumanising ones and their hard negatives.

Why: the public corpora have few dehumanising metaphors aimed at people and
almost no hard negatives (literal animals, negation, counter-speech,
reporting, figurative praise). Filling templates with the lexicon's terms and
group nouns teaches the linear model the *contexts* that separate the two,
across terms it has rarely seen. Templates are written here, not copied from
the seed pages or test data. Generation is seeded, so training is reproducible.
"""

from __future__ import annotations

import random

import pandas as pd

SUBJECTS = [
    "they", "these people", "those people", "the invaders", "refugees", "immigrants", "migrants", "muslims",
    "jews", "russians", "the russians", "their soldiers", "those soldiers", "the troops", "liberals", "conservatives",
    "leftists", "the protesters", "the gypsies", "illegals", "foreigners", "the mob", "his supporters",
    "the occupiers", "the settlers", "the rebels", "the politicians", "the elites", "democrats", "republicans",
    "asylum seekers", "palestinians", "israelis", "ukrainians", "chinese people", "black people", "white people",
    "gay people", "trans people", "feminists", "the whole lot of them", "people like him",
]
PLURAL_TERMS = [
    "rats", "cockroaches", "vermin", "parasites", "animals", "pigs", "orcs", "subhumans", "savages", "scum",
    "filth", "maggots", "leeches", "apes", "beasts", "roaches", "lice", "locusts", "insects", "swine",
    "monsters", "mongrels", "hyenas", "bloodsuckers", "termites", "pests", "rodents", "dogs", "cattle",
    "barbarians", "troglodytes", "demons", "zombies", "creatures", "mutants", "degenerates", "untermenschen",
]
SINGULAR_TERMS = ["rat", "pig", "animal", "parasite", "cockroach", "maggot", "leech", "ape", "beast", "swine",
                  "savage", "orc", "subhuman", "snake", "dog", "vermin", "scumbag", "monster", "hyena"]
DISEASE = ["a plague", "a cancer", "a disease", "an infestation", "a virus", "a tumour", "a blight", "a pestilence"]
VIOLENCE = ["exterminate", "slaughter", "wipe out", "purge", "eradicate", "cull", "crush", "gas", "annihilate",
            "keep killing", "continue slaughtering", "stamp out", "get rid of"]
PEOPLE_SINGULAR = ["he", "she", "the minister", "that senator", "the president", "your mayor", "this guy", "the ambassador"]

POSITIVE = [
    "{subj} are {pl}.", "{subj} are nothing but {pl}.", "{subj} are filthy {pl} and always will be.",
    "we should {viol} the {pl}.", "time to {viol} these {pl} once and for all.", "{viol} every last one of those {pl}.",
    "{subj} breed like {pl2} and take over everything.", "{subj} are {dis} on this country.",
    "{subj} spread like {dis} through our cities.", "send the {pl} back to the hole they crawled out of.",
    "the {pl} will be crushed and sent scurrying home.", "those {pl} deserve to be wiped out.",
    "{one} is a {sg} and so are his friends.", "{one} is a filthy {sg}.", "what a disgusting {sg} {one} is.",
    "the {pl} failed again, good riddance to them.", "no mercy for the {pl}.", "drive the {pl} into the sea.",
    "{subj} are {pl}, not human beings.", "{subj} have infested this town like {pl2}.",
    "you are a {sg}.", "you {pl} should all be exterminated.", "look at the {pl} swarming over the border.",
    "{subj}? {pl}, all of them.", "nothing but a bunch of {pl}.",
]
NEGATIVE = [
    "{subj} are not {pl}.", "{subj} are people, not {pl}.", "calling {subj} {pl} is dehumanising and wrong.",
    "stop calling {subj} {pl}.", "the minister described {subj} as {pl}, a remark that drew condemnation.",
    "the article quotes a politician who called {subj} {pl}.", "it is shameful to compare {subj} to {pl}.",
    "nobody should call {subj} {pl}, whatever you think of the policy.",
    "we saw {pl3} in the subway this morning.", "pest control found {pl3} in the basement of the restaurant.",
    "the farmer keeps {farm} in the barn.", "there were {pl3} all over the kitchen floor.",
    "my dog chased a squirrel in the park.", "the zoo has a new family of {zoo}.",
    "she was an absolute beast on the court last night.", "that striker is a monster in the box.",
    "he played like an animal, what a performance.", "the new engine is a beast.",
    "{subj} deserve the same respect as anyone else.", "{subj} contribute a great deal to our communities.",
    "many {subj} work in the health service.", "the report looks at how {subj} are treated by the press.",
    "my aunt is recovering from cancer.", "the virus spread quickly through the care home.",
    "the plague killed a third of europe in the middle ages.", "locusts destroyed the crops this year.",
    "the orcs in the lord of the rings films were terrifying.", "the game has too many zombie levels.",
    "{one} gave a long speech about the economy.", "i disagree with {subj} on taxes, but they make fair points.",
    "what an idiot i was to forget my keys.", "this weather is fucking brilliant.",
]
NEGATIVE += [
    # literal animals, pests and illness, with the lexicon's own words
    "{pl3} got into the {place} again.", "the council sent pest control to deal with the {pl3} in the {place}.",
    "we keep {farm} and chickens on the farm.", "the {zoo} at the zoo were fascinating to watch.",
    "a stray dog bit a child in the park yesterday.", "our cat caught a rat in the garden.",
    "the vet said our dog had picked up ticks and fleas.", "{pl3} spread disease, so keep food sealed in the {place}.",
    "the farm lost half its {farm} to disease this winter.", "there is a plague of {pl3} in the {place} this summer.",
    "exterminators came to deal with the {pl3} in the {place}.", "they culled the {farm} after the outbreak.",
    "the fish below the dam are full of parasites.", "mosquitoes carry the virus into new regions.",
    "{pl3} can survive almost anything, even the cold.", "the slaughterhouse processes {farm} from the whole county.",
    "leeches are still used in some hospitals.", "my grandmother's cancer is in remission.",
    "rats the size of cats on the platform this morning.", "vermin control is part of running a {place}.",
    # figurative praise
    "{one} is a beast in the gym.", "that keeper was an animal out there tonight.", "the team played like lions.",
    "the new striker is a monster in the box.", "what a beast of a performance from the whole side.",
    "she is a shark in the courtroom.", "he works like a machine, never tired.",
    # counter-speech and reporting
    "calling {subj} {pl} is exactly how genocide starts.", "comparing {subj} to {pl} is disgusting.",
    "the propaganda portrayed {subj} as {pl}.", "history shows where calling people {pl} leads.",
    "{subj} are human beings, not {pl}.", "the tweet called {subj} {pl} and was rightly deleted.",
    "the mp was suspended after saying {subj} were {pl}.", "we should never talk about {subj} as if they were {pl}.",
    # untargeted swearing
    "this {prof} weather, third washed-out weekend in a row.", "{prof}, I missed the bus again.",
    "holy shit, what a save!", "the traffic today was fucking awful.", "bloody hell, that was close.",
    "oh shit, I forgot my keys again.", "damn, that match was intense.", "what the hell happened to the trains today?",
    "bollocks, I missed the deadline.", "that was a shit film, honestly.", "fuck me, that is a huge fish.",
    "jesus fucking christ, that footage is scary.", "shit happens, the council will fix it.",
    "ah shit, here we go again.", "fuck, I feel old.", "what the fuck is going on with the trains.",
    # neutral statements that name a group
    "{grp} celebrated the festival in the park.", "the report says {grp} face discrimination at work.",
    "{grp} have lived in this town for generations.", "my neighbours are {grp} and they are lovely.",
    "{grp} deserve equal rights and equal pay.", "the charity helps {grp} find housing.",
    "a survey of {grp} found most felt welcome here.", "{grp} are over-represented among nurses and doctors.",
]
POSITIVE += [
    # abusive and dehumanising: families the public data rarely show
    "{subj} are a plague of locusts stripping the country bare.", "fumigate the place, it is crawling with {pl}.",
    "{subj} are bottom-feeders, every last one.", "{subj} multiply like bacteria.", "{subj} are ticks on the body politic.",
    "the estate is a nest of {pl}, smoke them out.", "{subj} are vultures circling every tragedy.",
    "nuke them all, {subj} are {pl} anyway.", "take out the trash: {subj} first.", "{subj} are feral {pl}.",
]
#: Calls for mass killing aimed at people, with no metaphor: dehumanising by definition (docs/labels.md).
EXTERMINATE = ["exterminate", "slaughter", "wipe out", "eradicate", "purge", "annihilate", "gas", "cleanse the country of"]
POSITIVE += [
    "round {subj} up and {ext} them.", "{ext} {subj}, every last one.", "the only answer is to {ext} {subj}.",
    "deport {subj} or {ext} them, i don't care which.", "{ext} the lot of them and start again.",
]
NEGATIVE += [
    # the same verbs aimed at pests, weeds and history: not about people
    "pest control will {ext2} the {pl3} in the {place} next week.", "they had to {ext2} the {pl3} before the inspection.",
    "historians say the regime planned to {ext} whole peoples, and we must never forget it.",
]
ABUSIVE_ONLY = [
    "you are a {ins}.", "shut up, you {ins}.", "{one} is a lying {ins}.", "go fuck yourself, {one}.",
    "what a {ins} you are.", "only a {ins} would write that.", "you absolute {ins}, read the article.",
    "{one} should be locked up, the {ins}.", "get lost, {ins}.", "i know where you live. keep talking.",
    "i'll break your {body} if i see you.", "watch your back, {ins}.", "come and say that to my face.",
    "you'll regret posting that. i'll find you.", "someone should give {one} a good kicking.",
    "i'll be waiting outside for you tonight.", "you are the thickest {ins} on this site.",
    # swearing that dismisses its target is aimed at them with no "you" or insult: the Gab labels
    # (hate, not abuse) call "shut the fuck up" not abusive, and the weights learnt that
    "fuck off, {voc}, nobody wants you here.", "shut the fuck up, {voc}.", "{one} can fuck off and take the rest with them.",
    "get the fuck out of {turf} and stay out.", "piss off back to {turf2}, the lot of you.", "{one} should just fuck off.",
]
VOCATIVES = ["mate", "pal", "grandad", "sunshine", "love", "buddy", "sweetheart"]
#: Places a dismissive swear sends people out of, or back to (not the seed page's words).
TURF = ["our town", "this thread", "our street", "the club", "my pub", "this forum", "our school"]
TURF_BACK = ["london", "your mum's basement", "twitter", "your village", "the pub"]
#: Neutral news-comment sentences put before some positives: a dehumanising sentence at the end of a long,
#: otherwise ordinary comment is still dehumanising (the model scores long comments in windows).
FILLER = [
    "the meeting on thursday went through the plans for the new bus station.",
    "the report says the hospital waiting lists have grown again this year.",
    "our local school got a good inspection result last month.",
    "the roadworks on the high street should finish before christmas.",
    "the committee approved the budget for the leisure centre and the swimming pool.",
    "ticket prices for the match went up by five pounds this season.",
    "the article makes some fair points about housing costs in the town.",
    "the weather forecast says rain for most of the weekend.",
    "the planning officers recommended the application for approval.",
    "the mayor opened the new playground in the park on saturday.",
    "there will be a public consultation on the parking charges in the spring.",
    "the library is extending its opening hours over the summer.",
]
BODY = ["legs", "nose", "jaw", "arms", "neck"]
INSULTS = ["idiot", "moron", "clown", "loser", "imbecile", "prick", "wanker", "twat", "fool", "coward", "liar", "hypocrite",
           "dickhead", "arsehole", "cretin", "halfwit", "muppet", "bellend", "tosser", "numpty"]
GROUPS = ["muslims", "jews", "christians", "black people", "asian people", "immigrants", "refugees", "gay men",
          "lesbians", "trans people", "disabled people", "women", "mexicans", "arabs", "chinese students",
          "native americans", "latinos", "people with mental illness", "bisexual people", "hindus", "sikhs", "roma families"]
PLACES = ["kitchen", "basement", "restaurant", "barn", "subway", "station", "warehouse", "farm", "school canteen", "attic"]
PROFANITY = ["fucking", "bloody", "shitty", "damn", "crappy"]
PESTS = ["rats", "cockroaches", "mice", "bedbugs", "roaches", "maggots", "ants", "termites"]
FARM = ["pigs", "cattle", "goats", "hogs", "sheep"]
ZOO = ["apes", "monkeys", "hyenas", "baboons", "gorillas"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        subj=rng.choice(SUBJECTS), pl=rng.choice(PLURAL_TERMS), pl2=rng.choice(["rats", "rabbits", "cockroaches", "vermin", "flies"]),
        pl3=rng.choice(PESTS), farm=rng.choice(FARM), zoo=rng.choice(ZOO), sg=rng.choice(SINGULAR_TERMS),
        dis=rng.choice(DISEASE), viol=rng.choice(VIOLENCE), one=rng.choice(PEOPLE_SINGULAR),
        ins=rng.choice(INSULTS), ext=rng.choice(EXTERMINATE),
        ext2=rng.choice(["exterminate", "wipe out", "eradicate", "cull", "gas", "fumigate"]), grp=rng.choice(GROUPS), place=rng.choice(PLACES), prof=rng.choice(PROFANITY), body=rng.choice(BODY),
        voc=rng.choice(VOCATIVES), turf=rng.choice(TURF), turf2=rng.choice(TURF_BACK),
    )


def synthetic_examples(n_per_template: int = 12, seed: int = 13) -> pd.DataFrame:
    """Templated positives (dehumanising, abusive) and hard negatives (neither)."""
    rng = random.Random(seed)
    rows = []
    for template in POSITIVE:
        for _ in range(n_per_template):
            text = _fill(template, rng)
            rows.append((text[0].upper() + text[1:], 1, 1))
    for template in POSITIVE[::3]:  # one template in three again, after ordinary sentences
        for _ in range(n_per_template // 3):
            text = " ".join(rng.sample(FILLER, 3)) + " " + _fill(template, rng)
            rows.append((text[0].upper() + text[1:], 1, 1))
    for template in NEGATIVE:
        for _ in range(n_per_template):
            text = _fill(template, rng)
            rows.append((text[0].upper() + text[1:], 0, 0))
    for template in ABUSIVE_ONLY:
        for _ in range(n_per_template):
            text = _fill(template, rng)
            rows.append((text[0].upper() + text[1:], 1, 0))
    df = pd.DataFrame(rows, columns=["text", "abusive", "dehumanising"]).drop_duplicates("text")
    df["abusive"] = df["abusive"].astype(float)
    df["dehumanising"] = df["dehumanising"].astype(float)
    df["source"] = "synthetic_lexicon_templates"
    df["file"] = "moderation/training/synthetic.py"
    return df.reset_index(drop=True)
