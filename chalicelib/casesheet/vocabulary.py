"""The words case sheets use, in English, Spanish and French, over the layouts the
organisation has used: the current one, the older International Secretariat sheet, and
section web pages and e-mails copied as text. Patterns match folded text (lower case,
no accents: see ``source.fold``); a label is followed by ``:`` unless it says otherwise.
"""
import re

LANGUAGES = ("en", "es", "fr")

# Words that say which language the sheet is written in (folded), weighed by count.
LANGUAGE_MARKERS = {
    "en": r"\b(urgent action|take action|salutation|appeals to|copies to|dear|email|please|the|and|of)\b",
    "es": r"\b(accion urgente|tratamiento|correo-e|llamamientos|copia a|estimad[oa]s?|el|la|los|las|y|del)\b",
    "fr": r"\b(action urgente|courriel|formule d'appel|appels|copies a|monsieur|madame|le|les|et|des|du)\b",
}


def _any(*patterns):
    return re.compile(r"^[¿¡\s]*(?:" + "|".join(patterns) + r")")


# Section headings, at the start of a line (folded).
URGENT_ACTION = _any(r"urgent action\b", r"accion urgente\b", r"action urgente\b")
FURTHER_INFORMATION = re.compile(
    r"(further information on (?:ua|urgent action)|follow[- ]up (?:to|on) (?:ua|urgent action)"
    r"|(?:mas )?informacion (?:complementaria |adicional )?sobre (?:la )?(?:au|accion urgente)"
    r"|actualizacion de (?:la )?(?:au|accion urgente)"
    r"|(?:informations? complementaires?|complement d'information|action complementaire) sur (?:l'|la )?"
    r"(?:au|action urgente)|mise a jour de l'(?:au|action urgente))\s*:?\s*")
TAKE_ACTION = _any(r"take action\b", r"what you can do\b", r"act now\b", r"actua\b", r"actue\b", r"actuen\b",
                   r"pase a la accion\b", r"que puedes hacer\b", r"agissez\b", r"passez a l'action\b",
                   r"agir\b")
RECOMMENDED_ACTION = _any(r"recommended action\b", r"accion recomendada\b", r"acciones recomendadas\b",
                          r"action recommandee\b", r"actions recommandees\b")
APPEALS_TO = _any(r"appeals to\b", r"please write to\b", r"write to\b", r"send appeals to\b",
                  r"(?:envien )?llamamientos a\b", r"escriban a\b", r"appels a\b", r"envoyez vos appels a\b",
                  r"ecrivez a\b")
COPIES_TO = _any(r"copies to\b", r"copy to\b", r"and copies to\b", r"(?:envien )?copias? a\b",
                 r"copies? a\b", r"(?:envoyez des )?copies a\b")
ADDITIONAL_INFORMATION = _any(r"additional information\b", r"background information\b", r"background\b",
                              r"informacion (?:adicional|complementaria|general)\b(?! sobre)", r"contexto\b",
                              r"informations? complementaires?\b(?! sur)", r"contexte\b")
PREFERRED_LANGUAGE = _any(r"preferred language(?: to address (?:the )?targets?| for (?:actions|appeals))?\b",
                          r"idioma preferido(?: para (?:dirigirse a (?:los|las) destinatari[oa]s|las acciones|"
                          r"los llamamientos))?\b", r"lengua preferida\b",
                          r"langue (?:a privilegier|preferee)(?: pour (?:la redaction de vos appels|les appels|"
                          r"s'adresser aux destinataires))?\b")
# "... in Spanish or your own language" (the older sheets say it inside the recommended action)
OWN_LANGUAGE = re.compile(r"\b(?:in|en) ([a-z]+) (?:or|o|ou) (?:in )?(?:your own language|(?:en )?su propio idioma|"
                          r"(?:dans )?votre propre langue)")
NAME_AND_PRONOUN = _any(r"names? and pronouns?\b", r"nombres? y pronombres?\b",
                        r"nombres? y genero gramatical(?: preferido)?\b", r"noms? et pronoms?\b")
OUTCOME = re.compile(
    r"\b(no further action is (?:requested|required|needed)|no more action is needed"
    r"|no se (?:requieren|necesitan|solicitan) mas acciones|no se requiere (?:ninguna )?(?:otra|mas) accion"
    r"|aucune (?:action complementaire|autre action|nouvelle action) n'est (?:requise|necessaire|demandee))")
# The deadline: the phrase, then the date. "Before D", "antes del D" and "avant le D" name the
# same last day as "until D" (the sheets of one UA in three languages agree on it), as does
# the older sheets' "check ... if sending appeals after D".
DEADLINE_PHRASES = [re.compile(pattern) for pattern in (
    r"please take action as soon as possible until\s*:?",
    r"(?:please )?(?:take action|act) (?:as soon as possible )?(?:before|by)\s*:?",
    r"please send appeals (?:immediately|as soon as possible)?\s*(?:and )?(?:not later than|before)\s*:?",
    r"if sending appeals after\s*:?",
    r"\buntil\s*:",
    r"(?:por favor,? )?(?:actuen|actua|actue) (?:lo antes posible )?(?:antes del|hasta el)\s*:?",
    r"envien (?:sus )?llamamientos lo antes posible y no mas tarde del\s*:?",
    r"envien (?:sus )?llamamientos antes del\s*:?",
    r"si (?:envian|van a enviar) (?:sus )?llamamientos despues del\s*:?",
    r"(?:merci d'agir|agissez|veuillez agir) (?:des que possible et )?(?:avant le|jusqu'au)\s*:?",
    r"(?:priere d'envoyer|veuillez envoyer) (?:vos )?appels (?:immediatement )?(?:et )?"
    r"(?:avant le|au plus tard le)\s*:?",
    r"si vous envoyez (?:vos |des )?appels apres le\s*:?",
)]
# Where a line says which way round numeric dates are written.
MONTH_FIRST_HINT = re.compile(r"\b(mm/dd/yyyy|mm/dd/yy|month/day/year)\b")
DAY_FIRST_HINT = re.compile(r"\b(dd/mm/yyyy|dd/mm/yy|jj/mm/aaaa|dd/mm/aaaa)\b")

# Labels of an official's contact lines (folded). The order matters: longer first.
CONTACT_LABELS = [
    ("salutation", r"salutation|tratamiento|formule d'appel|formule de politesse|saludo"),
    ("email", r"e-?mail|correo(?:-e| electronico)?|courriel|adresse (?:electronique|e-?mail)|mel"),
    ("fax", r"fax|telefax|telecopie(?:ur)?"),
    ("phone", r"phone|telephone|tel\.?|telefono|tél\.?|tel|telephone fixe|movil|mobile|portable"),
    ("x", r"twitter(?: ?/ ?x)?|x(?: ?/ ?twitter)?"),
    ("facebook", r"facebook"),
    ("instagram", r"instagram"),
    ("tiktok", r"tiktok"),
    ("bluesky", r"bluesky"),
    ("mastodon", r"mastodon"),
    ("contact_url", r"contact form|online form|web ?form|website|web ?site|web|formulario(?: de contacto| web)?"
                    r"|pagina web|sitio web|formulaire(?: de contact| en ligne)?|site (?:web|internet)"),
]
CONTACT_LABEL = re.compile(r"(?:^|(?<=[\s|/•;,]))("
                           + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in CONTACT_LABELS) + r")\s*:\s*")
# Where a line holds several (``Phone: ... I Fax: ...``): the separators before a label.
CONTACT_SEPARATOR = re.compile(r"\s+(?:[|/•;,]|I|l)\s*$")

# Words of an official's title, to tell a role from a name ("Governor of Carabobo state").
ROLE_WORDS = re.compile(
    r"\b(president|presidenta|presidente|president|prime minister|minister|ministra|ministro|ministre|secretary"
    r"|secretaria|secretario|secretaire|governor|gobernador|gobernadora|gouverneur|attorney[- ]general"
    r"|prosecutor|fiscal|procureur|procuradora?|ambassador|embajador|embajadora|ambassadeur|ambassadrice"
    r"|chargee? d'affaires|director|directora|directeur|directrice|chief|head|jefe|jefa|chef|commissioner"
    r"|comisionado|commissaire|mayor|alcalde|alcaldesa|maire|judge|juez|jueza|juge|chair|chairperson"
    r"|speaker|king|queen|rey|reina|roi|reine|emir|sultan|governor-general|inspector|ombudsman|defensora?"
    r"|defenseur|mediateur|superintendent|commander|comandante|commandant|general|general de division"
    r"|warden|governor of|representative|representante|representant|permanent representative|consul"
    r"|consul general|delegate|delegado|delegue|senator|senador|senadora|senateur|deputy|diputado|diputada"
    r"|depute|member of parliament|parliament|office|oficina|bureau|embassy|embajada|ambassade|mission"
    r"|mision|ministry|ministerio|ministere|commission|comision|council|consejo|conseil|court|corte|tribunal"
    r"|police|policia|prison|penitentiary|procuraduria|fiscalia|parquet|national human rights)\b")
# Words after "of"/"de" in a role written on one line with the name ("Minister of Interior Ahmad Vahidi").
ROLE_COMPLEMENTS = {
    "interior", "justice", "foreign", "affairs", "home", "defence", "defense", "security", "public", "judiciary",
    "republic", "state", "health", "education", "labour", "labor", "police", "prisons", "internal", "human",
    "rights", "government", "national", "federal", "province", "region", "communications", "women", "the",
    "information", "culture", "immigration", "social", "development", "justicia", "interior", "gobernacion",
    "seguridad", "relaciones", "exteriores", "derechos", "humanos", "republica", "estado", "nacion",
    "interieur", "etrangeres", "etrangers", "droits", "l'homme", "republique", "etat", "securite",
    "carabobo", "oaxaca", "chiapas", "guerrero", "united", "nations", "iran", "to",
}
# Institutions: a line naming one is its name (``Ambassade du Cameroun en France``), with no role.
INSTITUTION = re.compile(r"\b(office|oficina|bureau|embassy|embajada|ambassade|mission|mision|ministry|ministerio"
                         r"|ministere|commission|comision|comite|committee|council|consejo|conseil|court|corte"
                         r"|tribunal|procuraduria|fiscalia|parquet|organization|organisation|organizacion|association"
                         r"|asociacion|centre|center|centro|network|red|reseau)\b")
HONORIFICS = re.compile(r"^(h\.?\s?e\.?|s\.?\s?e\.?|his excellency|her excellency|your excellency|excmo\.?|excma\.?"
                        r"|lic\.?|licenciad[oa]|sr\.?|sra\.?|srta\.?|senor|senora|dr\.?|dra\.?|mr\.?|mrs\.?|ms\.?"
                        r"|miss|m\.|mme|mlle|monsieur|madame|don|dona|prof\.?|gen\.?|general|ing\.?|abg\.?"
                        r"|abogad[oa]|mtro\.?|mtra\.?|hon\.?|the honou?rable|s\.?\s?exc\.?)\s")

# The sample letter: its greeting opens it, its closing ends it (folded).
GREETING = re.compile(r"^(dear|estimad[oa]s?|senor(?:a)?|sr\.|sra\.|excelentisim[oa]|distinguid[oa]|monsieur"
                      r"|madame|excellence|your excellency|honorable)\b")
GREETING_LANGUAGE = {"dear": "en", "your excellency": "en", "honorable": "en", "estimad": "es", "senor": "es",
                     "sr.": "es", "sra.": "es", "excelentisim": "es", "distinguid": "es", "monsieur": "fr",
                     "madame": "fr", "excellence": "fr"}
CLOSING = re.compile(r"^(yours sincerely|sincerely|yours faithfully|respectfully|kind regards|best regards"
                     r"|atentamente|cordialmente|respetuosamente|sin otro particular|le saluda atentamente"
                     r"|cordialement|respectueusement|veuillez agreer|je vous prie d'agreer|dans l'attente)\b")
# Lines the sheet's template repeats or a web page adds, never part of a field.
NOISE = re.compile(r"^(share(?: this)?|compartir|partager|tweet|facebook|twitter|whatsapp|email|print|imprimir"
                   r"|imprimer|donate|dona|faites un don|sign up|suscribete|inscrivez-vous|skip to (?:main )?content"
                   r"|menu|search|buscar|rechercher|home|inicio|accueil|cookies?\b.*|read more|leer mas|lire la suite"
                   r"|amnesty international|amnistia internacional|international|related content|contenido relacionado"
                   r"|back to top|volver arriba|subscribe|\W*)\s*$")
SHARE_URL = re.compile(r"(facebook\.com/sharer|twitter\.com/intent|x\.com/intent|wa\.me/|api\.whatsapp\.com|"
                       r"linkedin\.com/share|mailto:\?|t\.me/share|reddit\.com/submit)")
# Instructions in the take-action part, not officials.
INSTRUCTION = re.compile(r"^(\d+[.)]|[-*•·]\s|write\b|escrib|ecriv|click|haz clic|cliquez|let us know|tell us|"
                         r"you can also|tambien puede|vous pouvez aussi|report\b|informe|signalez|please\b|por favor"
                         r"|veuillez|call\b|llam|appelez|send\b|envi|envoy|in your own words|con tus propias palabras)")
# "(m)", "(f)": how the older sheets give a person's gender.
GENDER_MARK = re.compile(r"\((m|f|h|male|female|hombre|mujer|homme|femme)\)")
PRONOUNS_OF_GENDER = {"en": {"m": "he/him", "f": "she/her"}, "es": {"m": "él", "f": "ella"},
                      "fr": {"m": "il", "f": "elle"}}
