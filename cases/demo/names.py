"""Invented names for the demo's families, people and solicitors (chosen to avoid well-known people)."""

from __future__ import annotations

# --- Invented names (surnames chosen to avoid well-known people) ------------------------------


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text` (keeps long name lists compact)."""
    return tuple(text.split())


SURNAMES = _words(
    "Ashworth Brindley Corrigan Dobson Fairclough Hollins Iqbal Kershaw Lomax Merriman Naylor Oduya "
    "Pickering Rowntree Sutcliffe Thornley Varley Whitworth Yardley Akhtar Cartwright Entwistle Fenwick "
    "Greenhalgh Hargreaves Ingham Kowalski Lister Mahmood Nowak Ormerod Pilling Rigby Tattersall Walmsley "
    "Mensah Haworth Mottram Stansfield Blakeley Crossley Duckworth Holroyd Marsden"
)
GIRLS = _words(
    "Ruby Amelia Freya Mia Isla Poppy Lily-Mae Maisie Evie Aisha Grace Ivy Ellie Sophia Darcy Esme Lacey "
    "Willow Hafsa Nevaeh"
)
BOYS = _words(
    "Jayden Oliver Harrison Tyler Kai Alfie Reggie Bobby Zain Theo Mason Archie Riley Logan Ibrahim "
    "Finley Tommy Kaden Frankie Hamza"
)
MOTHERS = _words(
    "Kayleigh Chantelle Danielle Gemma Stacey Leanne Jodie Samira Natalie Kirsty Amy Charlotte Rachel "
    "Shannon Paige Laura Jade Kelly Sadia Agnieszka"
)
FATHERS = _words(
    "Liam Dean Craig Jordan Ryan Lee Connor Shane Kieran Wayne Darren Imran Jamie Nathan Scott Kwame "
    "Bilal Aaron Gavin Reece"
)
STREETS = ("Mill Lane", "Chapel Street", "Victoria Road", "Moorside Close", "Bank Terrace", "Albert Street")
SOLICITORS = (
    ("Harbour Lane Solicitors", ("Joanna Patel", "Simon Eckersley")),
    ("Pennine Family Law LLP", ("Rebecca Hurst", "Daniel Okoro")),
    ("Moorside Legal", ("Alison Pratt", "Tom Greenwood")),
    ("Ashby & Cole Solicitors", ("Nicola Ashby", "Martin Cole")),
    ("Northgate Family Law", ("Zara Siddiqui", "Philip Rowe")),
)
