"""The départements as a UAI names them: its first three digits → the département's name, and the rule that reads them.

A UAI (RNE number) starts with its département on three digits: 0861234Z is in 086, Vienne. Corsica's two
départements are 620 (Corse-du-Sud) and 720 (Haute-Corse), overseas ones 971 to 988, as the RNE numbers them.
"""
from __future__ import annotations

_MAINLAND = (
    "Ain", "Aisne", "Allier", "Alpes-de-Haute-Provence", "Hautes-Alpes", "Alpes-Maritimes", "Ardèche", "Ardennes",
    "Ariège", "Aube", "Aude", "Aveyron", "Bouches-du-Rhône", "Calvados", "Cantal", "Charente", "Charente-Maritime",
    "Cher", "Corrèze", None, "Côte-d'Or", "Côtes-d'Armor", "Creuse", "Dordogne", "Doubs", "Drôme", "Eure",
    "Eure-et-Loir", "Finistère", "Gard", "Haute-Garonne", "Gers", "Gironde", "Hérault", "Ille-et-Vilaine", "Indre",
    "Indre-et-Loire", "Isère", "Jura", "Landes", "Loir-et-Cher", "Loire", "Haute-Loire", "Loire-Atlantique",
    "Loiret", "Lot", "Lot-et-Garonne", "Lozère", "Maine-et-Loire", "Manche", "Marne", "Haute-Marne", "Mayenne",
    "Meurthe-et-Moselle", "Meuse", "Morbihan", "Moselle", "Nièvre", "Nord", "Oise", "Orne", "Pas-de-Calais",
    "Puy-de-Dôme", "Pyrénées-Atlantiques", "Hautes-Pyrénées", "Pyrénées-Orientales", "Bas-Rhin", "Haut-Rhin",
    "Rhône", "Haute-Saône", "Saône-et-Loire", "Sarthe", "Savoie", "Haute-Savoie", "Paris", "Seine-Maritime",
    "Seine-et-Marne", "Yvelines", "Deux-Sèvres", "Somme", "Tarn", "Tarn-et-Garonne", "Var", "Vaucluse", "Vendée",
    "Vienne", "Haute-Vienne", "Vosges", "Yonne", "Territoire de Belfort", "Essonne", "Hauts-de-Seine",
    "Seine-Saint-Denis", "Val-de-Marne", "Val-d'Oise",
)  # 01 to 95 in order; 20 (Corsica before 1976) is no longer used

DEPARTEMENTS: dict[str, str] = {
    **{f"{number:03d}": name for number, name in enumerate(_MAINLAND, start=1) if name},
    "620": "Corse-du-Sud", "720": "Haute-Corse",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte", "977": "Saint-Barthélemy", "978": "Saint-Martin", "986": "Wallis-et-Futuna",
    "987": "Polynésie française", "988": "Nouvelle-Calédonie",
}


def departement_of(uai: str) -> str:
    """The département code of a UAI: its first three characters ("0861234Z" → "086")."""
    return str(uai)[:3]


def departement_label(code: str) -> str:
    """"Vienne (086)"; a code without a known name is shown as itself ("Département 099")."""
    name = DEPARTEMENTS.get(code)
    return f"{name} ({code})" if name else f"Département {code}"
