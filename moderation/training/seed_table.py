"""The seed page's expected flags (issue 2, "The seed pages are the spec").

The comment texts are the commenters' own words from the public news page
`../shared/seeds/001_f6e74c870da5195f.txt` (quotes split off), kept here so
that the seed table can be checked without the data directory. They are
never used for training.
"""

from __future__ import annotations

#: (comment number, text, expected labels; None = borderline, either is fine)
SEED_TABLE: list[tuple[str, str, frozenset[str] | None]] = [
    ("1", "This guy must be watching RT. The orcs failed to take Kyiv and Kharkiv, resulting in humiliation and mass "
          "destruction of their forces. I would like to hear his response when the scum are kicked out of Kherson too.",
     frozenset({"dehumanising", "abusive"})),
    ("1.1", "He’s an evil pig, but he’s almost certainly right. They won’t give up until their economy is crushed, their "
            "people starving and their military pounded into the dirt.\nUnfortunately the above is going to take a hell of "
            "a long time and isn’t yet even certain unless the allies start taking their jobs much more seriously. As usual "
            "they expect Ukraine to achieve miracles with the bare minimum of help.",
     frozenset({"dehumanising", "abusive"})),
    ("1.1.1", "The house of cards might be starting to crumble. I’m sure there are a few level headed Russians in power, "
              "who can see where this is going. At the moment they are outnumbered by the war criminals in charge, if "
              "enough start to oppose Putin’s mad war, the whole lot could collapse very quickly.",
     frozenset()),
    ("1.2", "All the more reason to continue the slaughter of the orcs until we finally hear the words, I surrender. I "
            "don’t care if it is the Donetsk basin, Bolgorod, St. Petersburg or Siberia, the denazification should "
            "continue. Plus everything in their wake should have a referendum of independence.",
     frozenset({"dehumanising", "abusive"})),
    ("2", "Stoltenberg is a defacto enemy of Ukraine. Under his despicable “leadership”, Ukraine has been lied to, "
          "consistently led up the garden path, betrayed by Russia collaborators France, Germany and Hungary and kicked "
          "in the teeth.\nUkraine does not need this bunch of arseholes, it needs the Budapest signatories to finally "
          "honour their obligations to the fucking letter.\nWhen this demonic war is finally over, hopefully the war "
          "crimes trials can begin and the reparations bill assembled.\nIt would also be highly appropriate for Macron, "
          "Hollande, Sarkozy, Merkel and Scholtz to be brought in front of the courts for feigning the role of honest "
          "broker whilst all the time colluding with a murderous fascist power.",
     frozenset({"abusive"})),
    ("3", "I keep seeing terms of negotiation that Russia move back to Feb 24 position. To me it’s a non starter. Get the "
          "fuck out of our country completely. PERIOD. Someone needs to put this talking point of Feb 24 position to an end.",
     frozenset({"abusive"})),
    ("3.1", "As I said the other day, the negotiations begin from a point that Russia’s thugs are withdrawn completely "
            "outside of the internationally recognized borders of Ukraine. That is the nonnegotiable minimum.",
     None),
    ("4", "Russia lost the Crimean war, but did not stop fighting until they couldn’t fight anymore. I expect Russia to do "
          "the same here. There will be little left of Russia at the end.",
     frozenset()),
    ("5", "Those officials see the writing on the wall. They want to save what is still salvageable of their ratty army. "
          "We will continue slaughtering the cockroaches until they go scurrying back from where they came from, even "
          "without any orders from the top.",
     frozenset({"dehumanising", "abusive"})),
]
