"""Static word lists for the synthetic data (names, places, organisations).

This module owns only constants: every person, street and facility here is
made up or generic.  Nothing in this file may be real patient data.  Phone and
fax numbers everywhere use the fictional 555 area code.
"""

from __future__ import annotations

from typing import Final

# Frequent US family names, most common first (used with heavy weights so the
# roster has the realistic pile-up of Smiths, Johnsons, Garcias and Nguyens).
COMMON_FAMILY: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Nguyen", "Tran",
    "Kim", "Patel", "Thompson", "White", "Harris", "Clark", "Lewis",
)

OTHER_FAMILY: Final = (
    "Abernathy", "Ackerman", "Albright", "Alvarado", "Baxter", "Beaumont", "Bergstrom",
    "Bishop", "Blackwell", "Bowman", "Brennan", "Caldwell", "Carver", "Castillo",
    "Chandler", "Chen", "Cho", "Cortez", "Crawford", "Dalton", "Delgado", "Dempsey",
    "Donovan", "Dunbar", "Eastman", "Ellison", "Espinoza", "Farrell", "Fischer",
    "Fleming", "Fontaine", "Foster", "Gallagher", "Gardner", "Gibbs", "Goldberg",
    "Grayson", "Greene", "Gupta", "Haines", "Halvorsen", "Hansen", "Hartley",
    "Hayward", "Hoffman", "Holloway", "Huang", "Ingram", "Iverson", "Jensen",
    "Kaplan", "Keller", "Kowalski", "Lam", "Lindqvist", "Lowell", "Maddox",
    "Mahoney", "Marsh", "McAllister", "McKenzie", "Mendoza", "Mercer", "Morales",
    "Nakamura", "Novak", "Okafor", "Olsen", "Ortega", "Park", "Pearson", "Pham",
    "Prescott", "Quinn", "Ramirez", "Reyes", "Rasmussen", "Rivera", "Rosen",
    "Sandoval", "Schultz", "Shah", "Sinclair", "Stanton", "Sullivan", "Takahashi",
    "Thornton", "Underwood", "Vance", "Vargas", "Vasquez", "Wagner", "Walsh",
    "Whitaker", "Winslow", "Wong", "Yamamoto", "Yoder", "Zimmerman",
)

APOSTROPHE_FAMILY: Final = ("O'Brien", "O'Connor", "O'Neil", "D'Angelo", "D'Souza", "O'Hara")

# (family name with diacritics)
DIACRITIC_FAMILY: Final = ("Muñoz", "Peña", "Brontë", "Núñez", "Ibáñez", "Gómez", "Müller", "Lefèvre")
DIACRITIC_GIVEN_F: Final = ("Zoë", "Inés", "Renée", "Chloé", "Noémi", "Sofía")
DIACRITIC_GIVEN_M: Final = ("José", "Andrés", "Jesús", "René", "Joël", "Ramón")

HYPHEN_PARTS: Final = (
    ("Garcia", "Lopez"), ("Smith", "Jones"), ("Martinez", "Rivera"), ("Nguyen", "Tran"),
    ("Baker", "Hughes"), ("Hernandez", "Cruz"), ("Johnson", "Lee"), ("Perez", "Ortiz"),
)

GIVEN_F: Final = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Nancy", "Lisa", "Margaret", "Betty", "Sandra", "Ashley",
    "Dorothy", "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa",
    "Deborah", "Stephanie", "Rebecca", "Laura", "Helen", "Sharon", "Cynthia", "Kathleen",
    "Amy", "Angela", "Anna", "Brenda", "Emma", "Olivia", "Ava", "Sophia", "Isabella",
    "Mia", "Grace", "Hannah", "Lily", "Maria", "Rosa", "Mai", "Linh", "Priya", "Ana",
    "Katherine", "Victoria", "Judith", "Evelyn", "Gloria", "Teresa", "Diane", "Joan",
)
GIVEN_M: Final = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph",
    "Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark",
    "Donald", "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian",
    "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob",
    "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott",
    "Liam", "Noah", "Ethan", "Lucas", "Mateo", "Carlos", "Luis", "Minh", "Duc",
    "Raj", "Samuel", "Benjamin", "Henry", "Walter", "Harold", "Frank", "Raymond",
)

# Legal given name -> nicknames commonly written on outside documents.
NICKNAMES: Final[dict[str, tuple[str, ...]]] = {
    "Robert": ("Bob", "Bobby", "Rob"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Betsy"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Richard": ("Rick", "Dick"),
    "James": ("Jim", "Jimmy"),
    "Michael": ("Mike",),
    "Joseph": ("Joe",),
    "Thomas": ("Tom",),
    "Charles": ("Chuck", "Charlie"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Katherine": ("Kate", "Kathy"),
    "Jennifer": ("Jen", "Jenny"),
    "Deborah": ("Debbie", "Deb"),
    "Susan": ("Sue", "Susie"),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Anthony": ("Tony",),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Rebecca": ("Becky",),
    "Dorothy": ("Dot", "Dottie"),
    "Kenneth": ("Ken",),
    "Timothy": ("Tim",),
    "Victoria": ("Vicky", "Tori"),
    "Jonathan": ("Jon",),
    "Samuel": ("Sam",),
}

SUFFIXES: Final = ("Jr", "Sr", "II", "III", "IV")

STREET_NAMES: Final = (
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Willow", "Birch", "Lakeview", "Hillcrest",
    "Sunset", "Park", "Washington", "Lincoln", "Jefferson", "Madison", "Church",
    "Mill", "River", "Spring", "Highland", "Meadow", "Forest", "Orchard", "Ridge",
    "Commercial", "Center", "Liberty", "Chestnut", "Walnut", "Franklin", "Grant",
)
STREET_TYPES: Final = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Way", "Blvd", "Pl")
UNIT_TYPES: Final = ("Apt", "Unit", "#")

# The office sits in a mid-size town; most patients live nearby.
LOCAL_TOWNS: Final = (
    ("Salem", "OR", "97301"), ("Salem", "OR", "97302"), ("Salem", "OR", "97305"),
    ("Keizer", "OR", "97303"), ("Albany", "OR", "97321"), ("Corvallis", "OR", "97330"),
    ("Silverton", "OR", "97381"), ("Woodburn", "OR", "97071"), ("Stayton", "OR", "97383"),
    ("Monmouth", "OR", "97361"), ("Independence", "OR", "97351"), ("Dallas", "OR", "97338"),
)
FAR_TOWNS: Final = (
    ("Portland", "OR", "97214"), ("Eugene", "OR", "97401"), ("Vancouver", "WA", "98661"),
    ("Boise", "ID", "83702"), ("Sacramento", "CA", "95814"), ("Reno", "NV", "89501"),
    ("Spokane", "WA", "99201"), ("Bend", "OR", "97701"),
)

# Our own office: the fax destination of every generated fax.
OUR_OFFICE: Final = {
    "name": "Maple Street Family Medicine",
    "address": "410 Maple St, Salem, OR 97301",
    "phone": "(555) 555-0100",
    "fax": "(555) 555-0199",
}

# Senders.  ``kind`` says which document types they plausibly send; ``ids``
# describes the *foreign* identifier they print: (label, prefix, digits, kind).
ORGS: Final = (
    {"name": "Valley General Hospital", "short": "VALLEY GENERAL", "kind": "hospital",
     "address": "2200 River Rd, Salem, OR 97302", "phone": "(555) 555-0110", "fax": "(555) 555-0111",
     "ids": (("MRN (Valley General)", "", 7, "mrn"), ("Acct", "H", 8, "account"))},
    {"name": "St. Brigid Medical Center", "short": "ST BRIGID MED CTR", "kind": "hospital",
     "address": "900 Church St, Albany, OR 97321", "phone": "(555) 555-0120", "fax": "(555) 555-0121",
     "ids": (("Med Rec #", "SB", 7, "mrn"), ("Encounter", "E", 9, "account"))},
    {"name": "Cascade Clinical Laboratories", "short": "CASCADE CLIN LAB", "kind": "lab",
     "address": "55 Commercial St SE, Salem, OR 97301", "phone": "(555) 555-0130", "fax": "(555) 555-0131",
     "ids": (("Acct", "H", 8, "account"), ("Lab Pt ID", "L", 8, "mrn"))},
    {"name": "Northwest Reference Lab", "short": "NW REF LAB", "kind": "lab",
     "address": "1800 Spring Ave, Portland, OR 97214", "phone": "(555) 555-0135", "fax": "(555) 555-0136",
     "ids": (("Patient ID", "NW", 8, "mrn"), ("Req #", "R", 7, "account"))},
    {"name": "Valley Cardiology", "short": "VALLEY CARDIOLOGY", "kind": "clinic",
     "address": "2250 River Rd Ste 300, Salem, OR 97302", "phone": "(555) 555-0142", "fax": "(555) 555-0143",
     "ids": (("Chart ID", "VC", 6, "mrn"),)},
    {"name": "Willamette Orthopedics", "short": "WILLAMETTE ORTHO", "kind": "clinic",
     "address": "77 Liberty St NE, Salem, OR 97301", "phone": "(555) 555-0150", "fax": "(555) 555-0151",
     "ids": (("Patient #", "", 6, "mrn"),)},
    {"name": "Riverbend Imaging Center", "short": "RIVERBEND IMAGING", "kind": "imaging",
     "address": "310 Lakeview Dr, Keizer, OR 97303", "phone": "(555) 555-0160", "fax": "(555) 555-0161",
     "ids": (("Accession", "RB", 8, "accession"), ("Imaging ID", "", 8, "mrn"))},
    {"name": "Northside Family Medicine", "short": "NORTHSIDE FAM MED", "kind": "clinic",
     "address": "1425 Highland Ave, Salem, OR 97305", "phone": "(555) 555-0170", "fax": "(555) 555-0171",
     "ids": (("Acct #", "", 6, "account"),)},
    {"name": "Lakeside Behavioral Health", "short": "LAKESIDE BH", "kind": "clinic",
     "address": "60 Meadow Ln, Silverton, OR 97381", "phone": "(555) 555-0175", "fax": "(555) 555-0176",
     "ids": (("Client ID", "LB", 6, "mrn"),)},
    {"name": "Summit Pharmacy #214", "short": "SUMMIT PHARMACY", "kind": "pharmacy",
     "address": "3100 Center St NE, Salem, OR 97301", "phone": "(555) 555-0180", "fax": "(555) 555-0181",
     "ids": (("Rx Pt ID", "P", 7, "account"),)},
    {"name": "Beacon Health Plan", "short": "BEACON HEALTH", "kind": "payer",
     "address": "PO Box 4410, Portland, OR 97208", "phone": "(555) 555-0190", "fax": "(555) 555-0191",
     "ids": (("Member ID", "BHP", 9, "member_id"),)},
    {"name": "Hartley & Quinn LLP", "short": "HARTLEY QUINN LLP", "kind": "law",
     "address": "500 Liberty St SE Ste 12, Salem, OR 97301", "phone": "(555) 555-0193", "fax": "(555) 555-0194",
     "ids": (("Our File No.", "HQ-", 5, "account"),)},
)

PROVIDERS: Final = (
    "Dr. Alan Whitcomb, MD", "Dr. Priya Raman, MD", "Dr. Helen Castro, DO",
    "Dr. Marcus Feld, MD", "Dr. Karen Oduya, MD", "Laura Beck, NP", "Dr. Samuel Ito, MD",
    "Dr. Ruth Calloway, MD", "Dr. Omar Haddad, MD", "Megan Price, PA-C",
)
OUR_PROVIDERS: Final = ("Dr. Ellen Marsh, MD", "Dr. Victor Hale, DO", "Jamie Ortiz, FNP")

PAYERS: Final = (
    ("Beacon Health Plan", "BHP", "PPO"), ("Cascade Mutual", "CMI", "HMO"),
    ("Pacific Crest Health", "PCH", "EPO"), ("Oregon Medicaid (OHP)", "OHP", "CCO"),
    ("Medicare Part B", "MBI", "Original"),
)

# Lab panels: (test, unit, low, high, decimals, critical_low, critical_high)
LAB_PANELS: Final[dict[str, tuple[tuple[str, str, float, float, int, float | None, float | None], ...]]] = {
    "BASIC METABOLIC PANEL": (
        ("Sodium", "mmol/L", 135, 145, 0, 120, 160),
        ("Potassium", "mmol/L", 3.5, 5.1, 1, 2.8, 6.2),
        ("Chloride", "mmol/L", 98, 107, 0, None, None),
        ("CO2", "mmol/L", 22, 29, 0, None, None),
        ("BUN", "mg/dL", 7, 20, 0, None, None),
        ("Creatinine", "mg/dL", 0.6, 1.2, 2, None, None),
        ("Glucose", "mg/dL", 70, 99, 0, 40, 450),
        ("Calcium", "mg/dL", 8.6, 10.3, 1, 6.5, 13.0),
    ),
    "COMPLETE BLOOD COUNT": (
        ("WBC", "K/uL", 4.0, 11.0, 1, 1.5, 30.0),
        ("RBC", "M/uL", 4.2, 5.9, 2, None, None),
        ("Hemoglobin", "g/dL", 12.0, 17.5, 1, 7.0, 20.0),
        ("Hematocrit", "%", 36, 52, 1, None, None),
        ("Platelets", "K/uL", 150, 400, 0, 40, 1000),
        ("MCV", "fL", 80, 100, 0, None, None),
    ),
    "LIPID PANEL": (
        ("Total Cholesterol", "mg/dL", 100, 199, 0, None, None),
        ("Triglycerides", "mg/dL", 0, 149, 0, None, None),
        ("HDL Cholesterol", "mg/dL", 40, 90, 0, None, None),
        ("LDL Cholesterol (calc)", "mg/dL", 0, 99, 0, None, None),
    ),
    "HEMOGLOBIN A1C": (
        ("Hemoglobin A1c", "%", 4.0, 5.6, 1, None, None),
        ("Est. Average Glucose", "mg/dL", 68, 114, 0, None, None),
    ),
    "THYROID": (
        ("TSH", "uIU/mL", 0.45, 4.5, 2, None, None),
        ("Free T4", "ng/dL", 0.8, 1.8, 2, None, None),
    ),
    "COAGULATION": (
        ("Prothrombin Time", "sec", 11.0, 13.5, 1, None, None),
        ("INR", "", 0.9, 1.1, 1, None, 5.0),
    ),
}

IMAGING_STUDIES: Final = (
    ("XR CHEST 2 VIEWS", "Chest"), ("CT ABDOMEN PELVIS W CONTRAST", "Abdomen"),
    ("MRI LUMBAR SPINE WO CONTRAST", "Lumbar spine"), ("US THYROID", "Thyroid"),
    ("MAMMOGRAM SCREENING BILATERAL", "Breast"), ("XR KNEE 3 VIEWS LEFT", "Left knee"),
    ("CT HEAD WO CONTRAST", "Head"), ("DEXA BONE DENSITY", "Hip and spine"),
)

DIAGNOSES: Final = (
    ("I10", "Essential hypertension"), ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("E78.5", "Hyperlipidemia, unspecified"), ("J45.909", "Asthma, uncomplicated"),
    ("M54.50", "Low back pain"), ("I48.91", "Atrial fibrillation"),
    ("F41.1", "Generalized anxiety disorder"), ("N18.3", "Chronic kidney disease, stage 3"),
    ("E03.9", "Hypothyroidism"), ("K21.9", "Gastro-esophageal reflux disease"),
    ("M17.12", "Primary osteoarthritis, left knee"), ("R07.9", "Chest pain, unspecified"),
)

MEDICATIONS: Final = (
    "Lisinopril 10 mg tablet, 1 tab PO daily", "Metformin 500 mg tablet, 1 tab PO BID",
    "Atorvastatin 40 mg tablet, 1 tab PO nightly", "Levothyroxine 75 mcg, 1 tab PO daily",
    "Amlodipine 5 mg tablet, 1 tab PO daily", "Omeprazole 20 mg capsule, 1 cap PO daily",
    "Sertraline 50 mg tablet, 1 tab PO daily", "Albuterol HFA 90 mcg, 2 puffs q4h PRN",
    "Apixaban 5 mg tablet, 1 tab PO BID", "Metoprolol succinate 25 mg, 1 tab PO daily",
    "Gabapentin 300 mg capsule, 1 cap PO TID", "Hydrochlorothiazide 25 mg, 1 tab PO daily",
)

FILLER_SENTENCES: Final = (
    "Patient tolerated the procedure well and was discharged in stable condition.",
    "Vital signs were reviewed and are within normal limits for age.",
    "We discussed diet, exercise and medication adherence at length.",
    "No acute distress. Alert and oriented to person, place and time.",
    "Heart regular rate and rhythm, no murmurs, rubs or gallops.",
    "Lungs clear to auscultation bilaterally without wheezes or crackles.",
    "Abdomen soft, non-tender, non-distended; bowel sounds present.",
    "Extremities without edema; distal pulses 2+ and symmetric.",
    "Follow up with primary care provider within two weeks.",
    "Patient verbalized understanding of the plan and agrees with it.",
    "Prior records were reviewed and are summarized below.",
    "Return precautions were given for worsening symptoms.",
    "Labs will be repeated in three months to monitor response.",
    "Continue current medications unless otherwise instructed.",
    "The patient denies fever, chills, chest pain or shortness of breath.",
    "Please do not hesitate to contact our office with any questions.",
)

CONFIDENTIALITY: Final = (
    "CONFIDENTIALITY NOTICE: This facsimile contains protected health information",
    "that is privileged and confidential. If you received it in error, notify the",
    "sender at the number above and destroy all copies. Redisclosure is prohibited.",
)
