"""Generate the fictional West Yorkshire demo directory, ``demo_directory.json``.

Deterministic (one seeded ``random.Random``): the same script always writes
the same file, which is committed. Run it only to change the demo::

    .venv/bin/python directory_data/generate_demo.py

What it makes: ~100 invented provider organisations across Leeds, Bradford,
Wakefield, Kirklees and Calderdale, each with provisions drawn from templates
a Personal Adviser would recognise, in all ten categories of the taxonomy
(``broker/taxonomy.py``). Training and education weigh heaviest and Leeds and
Bradford are densest, as in the real shortage. Organisations, streets, emails
(``example.org``) and phone numbers (Ofcom drama ranges: ``0113 496 0xxx``,
``01632 960xxx``, ``07700 900xxx``) are fictional; postcodes and their
coordinates are real, from ``geography/west_yorkshire_postcodes.csv``, and each
location's town is the one its postcode district belongs to.

Dates are relative to the day the demo is loaded: ``confirmed_days_ago`` and
``start_in_days`` (negative for rolling services that are already running).
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build_geography import WEST_YORKSHIRE  # noqa: E402  (district -> council, town)

SEED = 1619
OUT = HERE / "demo_directory.json"

COUNCILS = ["Leeds", "Bradford", "Wakefield", "Kirklees", "Calderdale"]
COUNCIL_WEIGHTS = [34, 27, 14, 15, 10]
NEIGHBOURS = {
    "Leeds": ["Bradford", "Wakefield", "Kirklees"],
    "Bradford": ["Leeds", "Calderdale", "Kirklees"],
    "Wakefield": ["Leeds", "Kirklees"],
    "Kirklees": ["Calderdale", "Wakefield", "Bradford"],
    "Calderdale": ["Kirklees", "Bradford"],
}

# The neighbourhood a PA would name for a postcode district (town otherwise).
NEIGHBOURHOODS = {
    "LS1": "City Centre", "LS2": "Woodhouse", "LS3": "Burley", "LS4": "Kirkstall", "LS5": "Hawksworth",
    "LS6": "Headingley", "LS7": "Chapeltown", "LS8": "Gipton", "LS9": "Harehills", "LS10": "Hunslet",
    "LS11": "Beeston", "LS12": "Armley", "LS13": "Bramley", "LS14": "Seacroft", "LS15": "Cross Gates",
    "LS16": "Adel", "LS17": "Moortown", "LS18": "Horsforth", "LS19": "Yeadon",
    "BD1": "City Centre", "BD2": "Eccleshill", "BD3": "Barkerend", "BD4": "Holme Wood", "BD5": "Little Horton",
    "BD6": "Wibsey", "BD7": "Great Horton", "BD8": "Manningham", "BD9": "Heaton", "BD10": "Idle",
    "BD12": "Low Moor", "BD15": "Allerton",
    "WF1": "City Centre", "WF2": "Lupset", "WF3": "Outwood", "WF4": "Horbury",
    "HD1": "Town Centre", "HD2": "Fartown", "HD3": "Lindley", "HD4": "Lockwood", "HD5": "Dalton",
    "HD7": "Slaithwaite", "HD8": "Kirkburton",
    "HX1": "Town Centre", "HX2": "Ovenden", "HX3": "Hipperholme", "HX4": "Greetland",
}

STREETS = [
    "Mill Lane", "Station Road", "Church Street", "Victoria Road", "Albion Street", "Market Street",
    "Chapel Lane", "Park Road", "Union Street", "North Parade", "Queen Street", "Wellington Road",
    "Canal Wharf", "Bridge Street", "Commercial Street", "Northgate", "Westgate", "High Street",
    "Manor Row", "Clarence Road", "Springfield Road", "Garden Street", "Crossley Street", "Foundry Lane",
]

# --- organisations: kind -> (name suffixes, category weights, provisions per org, blurb) ---

ORG_KINDS = {
    "training": (
        ["Training", "Skills Academy", "Training Centre", "Skills Hub", "Learning Partnership", "Trades Academy"],
        {"training": 70, "employment": 20, "education": 10},
        (3, 6),
        "An independent training provider running vocational courses and study programmes for "
        "16-19 year olds, with small groups, tutors who know each learner and help with travel costs.",
    ),
    "college": (
        ["College", "Sixth Form and Skills College", "Further Education College"],
        {"education": 60, "training": 40},
        (5, 8),
        "A further education college offering study programmes from Entry Level to Level 3, "
        "with a learner support team, bursaries and rolling enrolment on some courses.",
    ),
    "youth": (
        ["Youth Trust", "Youth Project", "Young People's Charity", "Youth Network", "Youth Action"],
        {"employment": 15, "training": 20, "mental-health": 15, "anger-management": 15,
         "education": 15, "youth-offending": 10, "drugs-alcohol": 10},
        (3, 5),
        "A local youth charity working with young people who have fallen out of school, college "
        "or work, through youth work, mentoring and practical courses.",
    ),
    "employment": (
        ["Jobs Hub", "Employment Project", "Works", "Careers CIC", "Into Work"],
        {"employment": 70, "training": 20, "benefits": 10},
        (2, 5),
        "An employability organisation helping young people into jobs and apprenticeships, with "
        "links to local employers and paid placements.",
    ),
    "housing": (
        ["Housing Trust", "Homes", "Foyer", "Supported Housing", "Housing Association"],
        {"housing": 85, "benefits": 15},
        (2, 4),
        "A housing provider for young people, from emergency beds to supported accommodation and "
        "help to keep a first tenancy.",
    ),
    "advice": (
        ["Advice Centre", "Welfare Rights", "Money Advice", "Advice Network"],
        {"benefits": 65, "housing": 25, "employment": 10},
        (2, 4),
        "A free, independent advice service covering benefits, debt, housing and entitlements, "
        "with caseworkers who take referrals from PAs and social workers.",
    ),
    "health": (
        ["Community Health Partnership", "Young People's Health Service", "Wellbeing Service"],
        {"health": 70, "mental-health": 20, "drugs-alcohol": 10},
        (2, 4),
        "A community health service for young people offering confidential clinics and drop-ins "
        "away from a GP surgery setting.",
    ),
    "mental_health": (
        ["Minds", "Wellbeing CIC", "Counselling Service", "Mental Health Alliance"],
        {"mental-health": 75, "anger-management": 25},
        (2, 4),
        "An emotional wellbeing and counselling service for young people, working alongside "
        "CAMHS and adult services for those who do not meet their thresholds.",
    ),
    "substance": (
        ["Recovery Service", "Drug and Alcohol Project", "Young People's Recovery"],
        {"drugs-alcohol": 85, "health": 15},
        (2, 4),
        "A young people's substance misuse service offering confidential, non-judgemental support "
        "with drugs and alcohol, and advice for families.",
    ),
    "justice": (
        ["Youth Justice Partnership", "Restorative Futures", "Mentoring CIC", "Second Chance Project"],
        {"youth-offending": 65, "anger-management": 25, "education": 10},
        (2, 4),
        "Works with young people in or at risk of contact with the youth justice system, with "
        "mentoring, reparation and resettlement support alongside the local youth justice team.",
    ),
}
ORG_KIND_COUNTS = {
    "training": 20, "college": 6, "youth": 14, "employment": 7, "housing": 11,
    "advice": 10, "health": 10, "mental_health": 9, "substance": 8, "justice": 10,
}

# Invented names: textile, river and moorland words a West Yorkshire charity
# might choose. Place-named stems belong to the council the place is in.
GENERIC_STEMS = [
    "Millbeck", "Holmroyd", "Thornleigh", "Ashgrove", "Greystone", "Loftholme", "Northbank", "Kestrel",
    "Heron", "Lantern", "Compass Point", "Anchor Point", "Keystone", "Threshold", "Springwell",
    "Bridgeway", "Waymark", "Foothold", "Pathfinder", "Rookery", "Beckside", "Fellside", "Moorview",
    "Ridgeway", "Millrace", "Weavers", "Loom", "Shuttle", "Tenterfield", "Spindle", "Fleece", "Brackenrigg",
    "Copperbeck", "Clough", "Ginnel", "Snicket", "Canal Side", "Lock Gate", "Towpath", "Packhorse",
    "Ironworks", "Mill Yard", "Ember", "Kindling", "Hearth", "Harbour", "Skyline", "Stonebridge",
    "Oakroyd", "Elmfield", "Rowan", "Willowbank", "Hazelhurst", "Larkfield", "Wrenfield", "Swallowdale",
    "Curlew", "Lapwing", "Dipper", "Fieldhead", "Cragside", "Scar Top", "Roundwood", "Badger Hill",
    "Cobble", "Flagstone", "Moorside", "Gritstone", "Millstone Grit", "Becks and Ghylls", "Longlands",
    "Brookfoot", "Ingleby", "Westfield Mill", "Ashworth", "Greenroyd", "Highfold", "Stannary", "Withens",
    "Underbank", "Cross Keys", "Nab End", "Hollin Hall", "Dobroyd", "Fold Yard", "Warp and Weft",
    "Carrbottom", "Throstle Nest", "Jubilee Mill", "Marsh Lane",
]
COUNCIL_STEMS = {
    "Leeds": ["Aireside", "Chevin", "Whinmoor", "Middleton Wood", "Templegate", "Hawksworth Edge"],
    "Bradford": ["Rombalds", "Ravenscliffe", "Worth Valley", "Bradford Beck", "Airedale Edge", "Baildon Moor"],
    "Wakefield": ["Calder and Hebble", "Went Valley", "Pugneys", "Heath Common", "Five Towns", "Ackton"],
    "Kirklees": ["Holme Valley", "Spen Valley", "Colne Vale", "Castle Hill", "Emley Moor", "Brockholes"],
    "Calderdale": ["Calderbrook", "Stoodley", "Ryburn", "Luddenden", "Blackstone Edge", "Heptonstall Edge"],
}

# --- provision templates: (name, category, kind, mode, ages, [sentences]) ---
# kind: the kind within the category (broker/taxonomy.py KINDS)
# mode: "course" (dated intakes), "rolling" (join any day), "group" (8-12 week cycles)

T = list[tuple[str, str, str, str, tuple[int | None, int | None], list[str]]]

TEMPLATES: T = [
    # training
    ("Level 1 Construction Skills (CSCS card)", "training", "vocational-course", "course", (16, 19), [
        "A 12-week practical course in bricklaying, joinery and plastering in a fully equipped workshop.",
        "Learners take the Level 1 Health and Safety in a Construction Environment award and sit the CSCS card test before finishing.",
        "PPE and tools are provided; site visits with local contractors in the final month."]),
    ("Level 1 Motor Vehicle Maintenance", "training", "vocational-course", "course", (16, 19), [
        "Hands-on vehicle servicing, tyres, brakes and basic diagnostics in a working garage bay.",
        "Runs three days a week with English and maths built in for those without GCSEs at grade 4.",
        "Good completers are put forward for Level 2 and apprenticeship interviews."]),
    ("Hair and Beauty Taster (Level 1)", "training", "vocational-course", "course", (16, 19), [
        "An introduction to hairdressing, barbering and beauty therapy in a commercial training salon.",
        "Learners work on real clients from week four and build a portfolio.",
        "Kit is loaned for the length of the course."]),
    ("Catering and Hospitality Level 1 with Food Hygiene certificate", "training", "vocational-course", "course", (16, 19), [
        "Kitchen skills, front of house and customer service, working in our community cafe.",
        "Everyone gains the Level 2 Food Hygiene certificate in the first fortnight.",
        "Whites and knives are provided and lunch is free every day."]),
    ("Warehouse and Forklift Skills (counterbalance licence)", "training", "pre-employment", "course", (17, 24), [
        "A four-week course covering warehouse safety, picking and packing, and counterbalance forklift training.",
        "Learners who pass get a recognised licence and a guaranteed interview with a local distribution employer.",
        "Steel toe-cap boots are provided."]),
    ("Introduction to Health and Social Care (Level 1)", "training", "vocational-course", "course", (16, 19), [
        "For young people thinking about care work, nursing or working with children.",
        "Covers safeguarding, communication and first aid, with a short placement in a care setting.",
        "A DBS check is arranged for those moving on to placements."]),
    ("Digital Skills and IT User (Entry 3 / Level 1)", "training", "vocational-course", "course", (16, 24), [
        "Everyday digital skills: email, online forms, spreadsheets and staying safe online.",
        "Small groups in a quiet computer room; laptops can be borrowed for homework.",
        "Useful for job searching and managing a Universal Credit journal."]),
    ("Level 1 Retail and Customer Service study programme", "training", "vocational-course", "course", (16, 19), [
        "A study programme combining a customer service qualification, English and maths, and work experience in a local shop.",
        "Learners attend 16 hours a week across four days.",
        "Travel passes are provided for the first month."]),
    ("Work-ready programme with 6-week work placement", "training", "traineeship", "course", (16, 24), [
        "Six weeks in the classroom on CVs, interview skills and workplace behaviour, then a six-week unpaid placement with an employer chosen with the young person.",
        "Expenses for travel and lunch are paid during the placement.",
        "Most completers move to an apprenticeship, job or further learning."]),
    ("Early Years Practitioner apprenticeship (Level 2, childcare)", "training", "apprenticeship", "course", (16, 24), [
        "A paid apprenticeship in a partner nursery, working towards the Level 2 Early Years Practitioner qualification.",
        "Four days a week in the nursery and one day in training, paid at the apprentice rate or above.",
        "Applicants need an enhanced DBS check, which we arrange and pay for."]),
    ("Construction trades apprenticeships (Level 2)", "training", "apprenticeship", "course", (16, 24), [
        "Paid apprenticeships in bricklaying, joinery, plumbing and electrical installation with local building firms.",
        "Apprentices work on site four days a week and spend one day in our workshop towards a Level 2 qualification.",
        "We help with the application and interview, and keep in touch through the first months in work."]),
    ("Sport and Fitness Leaders Award (Level 1)", "training", "vocational-course", "course", (14, 19), [
        "Coaching, leading sessions and planning activities, with the chance to volunteer at holiday clubs.",
        "Sessions run at the leisure centre and on the all-weather pitches.",
        "A good first step for young people who engage through sport."]),
    ("Pre-apprenticeship Engineering Skills", "training", "traineeship", "course", (16, 19), [
        "Bench fitting, hand tools, reading technical drawings and basic CNC, in an engineering workshop.",
        "Designed to get learners ready for Level 2 and 3 engineering apprenticeships with local manufacturers.",
        "Overalls and safety kit provided."]),
    ("Painting and Decorating Level 1", "training", "vocational-course", "course", (16, 19), [
        "Preparing surfaces, painting, wallpapering and finishing, working on real community buildings.",
        "Learners leave with a Level 1 certificate and a small set of their own tools.",
        "Three days a week, 9.30am to 2.30pm."]),
    ("Barista and Hospitality Academy", "training", "pre-employment", "course", (16, 24), [
        "A six-week course in coffee making, food safety and customer service in our training coffee shop.",
        "Includes mock interviews with local cafe and hotel employers.",
        "Friendly for young people who are anxious in large groups."]),
    ("Creative Media Skills: film and music production", "training", "vocational-course", "course", (16, 19), [
        "Learners make short films, podcasts and music in our studio while working towards a Level 1 Creative Media award.",
        "Strong focus on confidence and teamwork for young people who have been out of education for a while.",
        "Equipment is provided; no previous experience needed."]),
    ("Bike Mechanics Level 1", "training", "vocational-course", "course", (14, 19), [
        "Learn to strip, repair and rebuild bikes in our community bike workshop.",
        "Learners who finish keep a refurbished bike, which helps with travel to college or work.",
        "Two afternoons a week."]),
    ("Level 1 Land-based Skills: horticulture and conservation", "training", "vocational-course", "course", (16, 19), [
        "Outdoor learning in horticulture, dry-stone walling and woodland management.",
        "Waterproofs and boots are provided; lunch is cooked on site.",
        "Suits young people who struggle in classrooms."]),
    ("Business administration and customer service apprenticeships", "training", "apprenticeship", "course", (16, 24), [
        "Paid office and customer service apprenticeships with local employers, the council and the NHS.",
        "Apprentices work towards a Level 2 or Level 3 qualification with a day a week of off-the-job training.",
        "Good for young people with English and maths at Level 1 or above who want an office job."]),
    # education
    ("Functional Skills English and Maths (Entry 3 to Level 2)", "education", "english-maths", "course", (16, 24), [
        "Small-group and one-to-one teaching towards Functional Skills qualifications, which employers and colleges accept in place of GCSEs.",
        "An initial assessment places each learner at the right level.",
        "Exams can be taken on demand when the learner is ready."]),
    ("GCSE English and Maths resit (part-time)", "education", "english-maths", "course", (16, 19), [
        "A one-year part-time course for young people who did not get grade 4 in English or maths.",
        "Two evenings or two mornings a week, with online practice between lessons.",
        "Exams are taken in November and the summer series."]),
    ("Entry Level Study Programme (Step Up)", "education", "college-course", "course", (16, 19), [
        "A full-time study programme for young people who left school with few or no qualifications.",
        "Combines English, maths, personal development and vocational tasters in three subject areas.",
        "Learners progress to Level 1 courses or traineeship-style programmes."]),
    ("ESOL for 16-19 year olds (Entry 1-3)", "education", "english-maths", "course", (16, 19), [
        "English for speakers of other languages, for young people new to the UK including unaccompanied asylum-seeking young people.",
        "Classes include everyday English, maths and an introduction to college life.",
        "Interpreters are available at enrolment."]),
    ("Alternative Provision: Key Stage 4 part-time timetable", "education", "alternative-provision", "course", (14, 16), [
        "Commissioned alternative provision for Year 10 and 11 pupils at risk of exclusion or already out of school.",
        "Pupils follow English, maths and a vocational option in small groups, with a key worker.",
        "Places are arranged with the school or the local authority."]),
    ("Back on Track: 12-week re-engagement programme", "education", "re-engagement", "course", (16, 18), [
        "A gentle return to learning for young people who have been out of education for some time, often because of anxiety or a chaotic home life.",
        "Three mornings a week with a mix of creative projects, English and maths, and visits to colleges.",
        "Each learner has a progression plan agreed with their PA."]),
    ("Level 2 Study Programme: Business Administration", "education", "college-course", "course", (16, 19), [
        "A full-time programme covering office skills, customer service and business finance, with a work placement.",
        "Entry requires Level 1 or two GCSEs at grade 3.",
        "Progression to Level 3 or an administration apprenticeship."]),
    ("Supported Internship (for learners with an EHC plan)", "education", "college-course", "course", (16, 24), [
        "A year-long study programme based mainly at an employer, for young people with an Education, Health and Care plan.",
        "A job coach supports each intern on site and teaches travel training.",
        "The aim is paid employment at the end."]),
    ("Independent Living Skills (SEND)", "education", "college-course", "course", (16, 24), [
        "A course for young people with learning difficulties covering cooking, money, travel and staying safe.",
        "Small groups of six to eight with a high staff ratio.",
        "Families are invited to a review every term."]),
    ("Access to Higher Education Diploma", "education", "college-course", "course", (19, None), [
        "A one-year diploma for adults aged 19 and over who want to go to university without A-levels.",
        "Pathways in health, social science and computing.",
        "An Advanced Learner Loan is written off on completion of a degree."]),
    ("Home and hospital tuition outreach", "education", "alternative-provision", "rolling", (13, 16), [
        "Teaching at home or in hospital for pupils who cannot attend school for medical reasons, including mental health.",
        "Tutors cover English, maths and science and liaise with the home school.",
        "Referrals need medical evidence from a consultant or CAMHS."]),
    # employment
    ("Kickstart-style employability course", "employment", "employability", "course", (16, 24), [
        "Modelled on the old Kickstart scheme: a four-week employability course followed by a paid six-month job placement of 25 hours a week.",
        "Placements are with local employers in hospitality, retail, logistics and admin.",
        "Participants must be claiming Universal Credit or be eligible to."]),
    ("Apprenticeship application coaching", "employment", "employability", "rolling", (16, 24), [
        "One-to-one help to find, apply for and prepare for apprenticeship vacancies.",
        "Advisers check applications before they go in and run mock interviews.",
        "Weekly vacancy bulletin sent to young people and their PAs."]),
    ("Youth Employment Hub drop-in (CVs, job search, interviews)", "employment", "employability", "rolling", (16, 24), [
        "Drop in for help with CVs, job searching, application forms and interview practice.",
        "Computers, free wifi and a phone are available; no appointment needed.",
        "Work coaches from the Jobcentre attend on Tuesdays."]),
    ("Paid work experience: warehouse operative (6 weeks)", "employment", "work-experience", "course", (18, 24), [
        "Six weeks of paid work experience at the National Living Wage with a local distribution employer.",
        "Includes induction, manual handling training and a mentor on site.",
        "Reliable attendance leads to an interview for a permanent role."]),
    ("Job Club for young people on Universal Credit", "employment", "employability", "rolling", (18, 24), [
        "A weekly job club counted as work search activity by the Jobcentre.",
        "Peer support, vacancy alerts and help with the Universal Credit journal.",
        "Hot drinks and toast provided."]),
    ("Sector-based work academy: hospitality", "employment", "work-experience", "course", (18, 24), [
        "Two weeks of pre-employment training, a short work placement and a guaranteed job interview with hotel and restaurant employers.",
        "Run with the Jobcentre; benefits continue during the academy.",
        "Food hygiene and customer service certificates included."]),
    ("Supported employment with a job coach", "employment", "supported-employment", "rolling", (16, 25), [
        "For young people with learning disabilities, autism or mental health needs who want paid work.",
        "A job coach helps find a suitable job, supports the first weeks on site and stays in touch with the employer.",
        "No time limit on support."]),
    ("Start your own business: self-employment taster", "employment", "employability", "course", (18, 25), [
        "A four-session workshop on testing a business idea, pricing and registering as self-employed.",
        "Participants can apply for a small start-up grant and a volunteer business mentor.",
        "Evening sessions."]),
    ("Volunteering placements: conservation and community gardening", "employment", "work-experience", "rolling", (16, 24), [
        "Regular volunteering outdoors to build routine, references and confidence.",
        "Volunteers can gain a Level 1 award and a reference after 12 weeks.",
        "Travel and lunch expenses paid."]),
    ("Interview clothes and travel-to-work fund", "employment", "employability", "rolling", (16, 24), [
        "Grants for interview clothes, work boots and the first month's travel for young people starting a job or apprenticeship.",
        "A PA or work coach applies on the young person's behalf; decisions within five working days.",
        "One award per young person per year."]),
    ("Ring-fenced job vacancies for young people", "employment", "job-vacancy", "rolling", (16, 24), [
        "Entry-level paid jobs held for young people referred by a PA, with the council and partner employers in catering, cleaning, admin, parks and warehouses.",
        "Every applicant gets a guaranteed interview and help with the application form.",
        "Most roles are 16 to 30 hours a week at the National Living Wage or above."]),
    # housing
    ("Supported lodgings for 16-17 year olds", "housing", "supported-accommodation", "rolling", (16, 17), [
        "A room in the home of a trained, vetted host household, with a support worker visiting weekly.",
        "For young people who cannot live at home, including those assessed under the Southwark judgment.",
        "Young people can stay until 18, or longer as Staying Put."]),
    ("Care leavers' housing advice", "housing", "housing-advice", "rolling", (16, 25), [
        "Specialist housing advice for care leavers: applying to the housing register, priority banding and the Setting Up Home Allowance.",
        "Advisers work closely with leaving care teams and can attend pathway plan meetings.",
        "Appointments in person or by phone."]),
    ("Young people's foyer (supported accommodation, 18-25)", "housing", "supported-accommodation", "rolling", (18, 25), [
        "Self-contained flats with 24-hour staff for young people who are homeless or at risk.",
        "Residents agree a support plan covering learning, work and independent living skills.",
        "Rent is covered by Universal Credit housing costs; a small service charge applies."]),
    ("Emergency host family beds", "housing", "emergency-bed", "rolling", (16, 25), [
        "Short stays of one night to two weeks with volunteer hosts for young people facing homelessness tonight.",
        "Hosts are DBS checked and trained; a caseworker works on a longer-term solution the next day.",
        "Referrals from 9am to 5pm; out of hours through the council's emergency duty team."]),
    ("Homelessness prevention: family mediation", "housing", "housing-advice", "rolling", (16, 21), [
        "Independent mediators work with young people and their families to prevent a breakdown that would lead to homelessness.",
        "Sessions at home or at a neutral venue, usually within a week of referral.",
        "Where returning home is not safe, the mediator helps plan a planned move."]),
    ("Tenancy ready course (Rent Smart)", "housing", "housing-advice", "course", (16, 25), [
        "A five-session course on budgeting, rights and responsibilities, dealing with landlords and looking after a home.",
        "Completion gives a certificate that several local landlords and the housing register recognise.",
        "Free lunch at every session."]),
    ("Floating tenancy support for young people", "housing", "floating-support", "rolling", (16, 25), [
        "A support worker visits young people in their own tenancy to help with bills, neighbours, repairs and staying on top of rent.",
        "Up to 12 months of support, reducing as things settle.",
        "Can start before the tenancy begins."]),
    ("Supported housing for young parents", "housing", "supported-accommodation", "rolling", (16, 24), [
        "Supported flats for pregnant young women and young parents with a baby.",
        "Staff support parenting, health appointments and moving on to a tenancy.",
        "Works with health visitors and children's centres."]),
    ("Housing options drop-in for under-25s", "housing", "housing-advice", "rolling", (16, 25), [
        "Same-day advice for young people who are homeless, sofa surfing or about to lose their home.",
        "Housing officers can start a homelessness application on the day.",
        "Bring ID if you have it, but do not wait for it."]),
    ("Staying Close: support for care leavers moving on", "housing", "floating-support", "rolling", (18, 21), [
        "Keeps care leavers connected to their children's home key worker as they move into their own accommodation.",
        "Practical and emotional support, including out-of-hours phone contact.",
        "For young people leaving residential care."]),
    ("Direct access emergency hostel (16-25)", "housing", "emergency-bed", "rolling", (16, 25), [
        "An emergency hostel with staff on site day and night for young people who have nowhere safe to sleep tonight, including those sleeping rough or sofa surfing.",
        "Stays are short while a key worker and the council's housing options team find somewhere longer term.",
        "Meals and laundry are provided; the young person does not need to bring anything."]),
    # benefits
    ("Universal Credit and PIP claim support", "benefits", "benefits-advice", "rolling", (16, 25), [
        "Help to make and manage Universal Credit and Personal Independence Payment claims, including the health questionnaires.",
        "Advisers can come to assessments and help gather medical evidence.",
        "Appointments in person, by phone or by video."]),
    ("Welfare rights for 16-17 year olds", "benefits", "benefits-advice", "rolling", (16, 17), [
        "Specialist advice on the exceptions that let 16 and 17 year olds claim Universal Credit, such as estrangement from parents or being a carer.",
        "Advisers can write the estrangement evidence letter and liaise with the Jobcentre.",
        "Quick turnaround for young people with no income."]),
    ("Budgeting and money skills workshop", "benefits", "money-advice", "course", (16, 25), [
        "A three-session workshop on bank accounts, budgeting on a low income, avoiding debt and spotting scams.",
        "Participants leave with a budget plan and a bank account if they do not have one.",
        "Food vouchers available for those in hardship."]),
    ("Debt and rent arrears advice for young people", "benefits", "money-advice", "rolling", (16, 25), [
        "Free, confidential debt advice, including rent arrears, council tax, phone contracts and buy-now-pay-later.",
        "Advisers negotiate with creditors and can apply for Debt Relief Orders.",
        "Priority given to young people facing eviction."]),
    ("16-19 Bursary Fund and hardship advice", "benefits", "grants", "rolling", (16, 19), [
        "Help to apply for the 16-19 Bursary Fund, free meals in further education and travel support.",
        "Vulnerable groups (care leavers, young people on UC in their own right) can get up to the full bursary.",
        "Advisers liaise with the college or training provider."]),
    ("Benefit sanctions and mandatory reconsideration support", "benefits", "benefits-advice", "rolling", (16, 25), [
        "Support to challenge benefit sanctions and decisions through mandatory reconsideration and appeal.",
        "Help to apply for hardship payments while the challenge goes on.",
        "Representation at tribunal where needed."]),
    ("ID, bank account and National Insurance number help", "benefits", "benefits-advice", "rolling", (16, 25), [
        "Practical help to get a birth certificate, provisional licence or citizen card, open a bank account and find a National Insurance number.",
        "Fees for ID paid from a small grant.",
        "Often the first step before a benefit claim or job start."]),
    ("Care leavers' entitlements check", "benefits", "grants", "rolling", (16, 25), [
        "A one-hour check of everything a care leaver is entitled to: Setting Up Home Allowance, council tax exemption, bursaries and leaving care grants.",
        "A written summary goes to the young person and their PA.",
        "Follow-up help to claim anything missing."]),
    # health
    ("Sexual health clinic (under-25s)", "health", "sexual-health", "rolling", (13, 24), [
        "Confidential testing and treatment for sexually transmitted infections, contraception including implants and coils, and emergency contraception.",
        "Walk in or book; young people under 16 are seen on their own if they wish.",
        "Free condoms with the C-Card scheme."]),
    ("C-Card and contraception drop-in", "health", "sexual-health", "rolling", (13, 24), [
        "Free condoms, advice on contraception and healthy relationships, and pregnancy testing.",
        "Run by youth workers and a sexual health nurse in a youth centre setting.",
        "No appointment and no need to give a full name."]),
    ("Young people's health drop-in with nurse", "health", "health-clinic", "rolling", (13, 19), [
        "A nurse-led drop-in for any health worry: sleep, skin, periods, weight, smoking or feeling low.",
        "The nurse can refer on to GPs, CAMHS and specialist services.",
        "After school hours so young people can come on their own."]),
    ("Young parents' midwifery and health visiting support", "health", "health-clinic", "rolling", (13, 21), [
        "Specialist midwives and health visitors for pregnant young women and young fathers.",
        "Antenatal group, home visits and help to register with a GP and dentist.",
        "Works with supported housing for young parents."]),
    ("Stop smoking and vaping support (under-19s)", "health", "health-clinic", "rolling", (13, 19), [
        "Behavioural support and, for over-16s, nicotine replacement to stop smoking or vaping.",
        "Six weekly sessions, in person or by text.",
        "Carbon monoxide readings to track progress."]),
    ("GP registration and health check for young people", "health", "gp-registration", "rolling", (16, 25), [
        "Helps young people who are not registered with a GP, including those without a fixed address, to register and get a health check.",
        "A nurse completes the check and updates vaccinations.",
        "Particularly for care leavers, young people in hostels and new arrivals."]),
    ("Cooking on a budget course", "health", "health-clinic", "course", (16, 25), [
        "A six-week practical cookery course: cheap, healthy meals for one, food safety and shopping on a budget.",
        "Each participant takes home a slow cooker and a recipe book at the end.",
        "Good preparation for moving into a first tenancy."]),
    # mental health
    ("Young people's counselling (6-12 sessions)", "mental-health", "counselling", "rolling", (13, 25), [
        "Free, confidential one-to-one counselling with a qualified counsellor for anxiety, low mood, relationships, identity and family problems.",
        "An assessment appointment is offered within three weeks; sessions weekly.",
        "Face to face, by phone or online."]),
    ("Low mood and anxiety group (CBT-based, 6 weeks)", "mental-health", "wellbeing-group", "group", (16, 25), [
        "A six-week group using cognitive behavioural techniques to understand and manage anxiety and low mood.",
        "Groups of eight to ten with two facilitators; a one-to-one meeting first to check it is right.",
        "Materials are provided."]),
    ("Walk-in mental health support for 13-25s", "mental-health", "counselling", "rolling", (13, 25), [
        "A single session walk-in service for young people who want to talk to someone today.",
        "Practitioners can refer on to counselling, CAMHS or crisis services.",
        "Open late on Wednesdays."]),
    ("Self-harm support group", "mental-health", "wellbeing-group", "group", (14, 19), [
        "A facilitated peer support group for young people who self-harm or have done in the past.",
        "Focuses on coping strategies, safety planning and reducing isolation.",
        "Parents and carers can attend a separate information evening."]),
    ("Bereavement support for young people", "mental-health", "counselling", "rolling", (13, 25), [
        "One-to-one and group support for children and young people after the death of someone important to them.",
        "Includes sudden and traumatic bereavement.",
        "There is no time limit after the death for a referral."]),
    ("Peer mentoring for isolated young people", "mental-health", "wellbeing-group", "rolling", (14, 21), [
        "Matched with a trained volunteer peer mentor for weekly activities over six months.",
        "For young people who are lonely, isolated or struggling to leave the house.",
        "Activities are chosen by the young person."]),
    ("Crisis cafe evening drop-in (16+)", "mental-health", "crisis-support", "rolling", (16, None), [
        "An out-of-hours safe space for people in emotional distress, open 6pm to midnight.",
        "Staffed by mental health workers and trained volunteers.",
        "An alternative to A&E for young people who are not in immediate physical danger."]),
    ("Trauma-informed 1:1 support for care-experienced young people", "mental-health", "specialist-mental-health", "rolling", (16, 25), [
        "Weekly one-to-one support from a practitioner trained in trauma-informed approaches.",
        "Focuses on stabilisation, relationships and day-to-day coping.",
        "Can continue through moves of placement or accommodation."]),
    ("Online and phone counselling for 16-25s", "mental-health", "counselling", "rolling", (16, 25), [
        "Up to ten sessions of counselling by video call, phone or text chat with a qualified counsellor, for young people who find it hard to get to appointments.",
        "Help with anxiety, low mood, stress, relationships and anything else on a young person's mind.",
        "Evening appointments are available."]),
    # drugs and alcohol
    ("Young People's Drug and Alcohol Service drop-in", "drugs-alcohol", "harm-reduction", "rolling", (13, 18), [
        "A confidential drop-in for young people worried about their own or someone else's drug or alcohol use.",
        "Workers offer advice, harm reduction and a quick assessment for ongoing support.",
        "No need to stop using to get help."]),
    ("1:1 substance misuse key work (under-18s)", "drugs-alcohol", "treatment", "rolling", (13, 17), [
        "Structured one-to-one sessions with a key worker, using a care plan agreed with the young person.",
        "Covers cannabis, alcohol, cocaine, ketamine, nitrous oxide and vaping.",
        "Sessions can take place at school, home or a youth centre."]),
    ("Cannabis reduction group", "drugs-alcohol", "treatment", "group", (16, 24), [
        "A six-week group for young people who want to cut down or stop using cannabis.",
        "Covers sleep, anxiety, money and withdrawal.",
        "Meets in the early evening."]),
    ("Family support for parents of young people using substances", "drugs-alcohol", "harm-reduction", "rolling", (None, None), [
        "Support and information for parents and carers of young people using drugs or alcohol.",
        "Individual sessions and a monthly family group.",
        "The young person does not need to be engaging with services."]),
    ("Harm reduction and nitrous oxide awareness sessions", "drugs-alcohol", "harm-reduction", "course", (13, 19), [
        "Interactive sessions for groups of young people in schools, colleges and youth clubs on drugs, alcohol and nitrous oxide.",
        "Delivered by specialist workers who can follow up individually.",
        "Booked by the school, college or youth provision."]),
    ("Recovery activities programme (sport, music, volunteering)", "drugs-alcohol", "treatment", "rolling", (16, 25), [
        "Structured positive activities for young people in treatment or recovery: football, climbing, music production and volunteering.",
        "Builds routine and new friendships away from using.",
        "Young people must have a key worker at a treatment service."]),
    ("Residential rehab assessment and aftercare (18-25)", "drugs-alcohol", "residential-rehab", "rolling", (18, 25), [
        "Assessment for detox and residential rehabilitation for young adults whose drug or alcohol use has not improved with community treatment.",
        "Workers arrange funding and a place at a partner rehab, then aftercare back home, including housing and recovery support.",
        "The young person must be working with a treatment service key worker."]),
    # anger management
    ("Anger Management: 8-week group programme", "anger-management", "group-programme", "group", (13, 19), [
        "An eight-week group programme to understand triggers, recognise warning signs and use practical techniques to stay in control.",
        "Groups of up to eight, two facilitators, one evening a week.",
        "A certificate of completion can be shared with schools, courts and employers."]),
    ("1:1 anger and emotional regulation sessions", "anger-management", "one-to-one", "rolling", (13, 19), [
        "Six to ten individual sessions for young people whose anger is affecting school, home or relationships.",
        "Based on CBT and solution-focused approaches.",
        "Sessions at school, home or our centre."]),
    ("Boxing and mentoring: channelling anger", "anger-management", "group-programme", "group", (13, 19), [
        "Non-contact boxing fitness combined with mentoring and conversations about anger, respect and choices.",
        "Run by qualified coaches and youth workers at a local boxing club.",
        "Kit is provided."]),
    ("Healthy relationships and conflict programme", "anger-management", "group-programme", "group", (14, 19), [
        "A ten-week programme for young people who have used violence or abuse in relationships, including towards parents.",
        "Explores power, control, consent and respectful relationships.",
        "A parallel session for parents and carers is offered."]),
    ("Conflict resolution workshop for 13-16s", "anger-management", "group-programme", "course", (13, 16), [
        "A three-session workshop in schools or youth clubs on handling disagreements without violence.",
        "Uses drama and role play.",
        "Booked by schools for small groups."]),
    ("Parent and teen conflict mediation", "anger-management", "one-to-one", "rolling", (13, 18), [
        "Mediation for families where arguments and aggression between teenagers and parents are escalating.",
        "Up to six sessions with a trained family mediator.",
        "Evening appointments available."]),
    # youth offending support
    ("Youth offending mentoring (1:1, 6 months)", "youth-offending", "mentoring", "rolling", (13, 18), [
        "Weekly mentoring from a trained volunteer or sessional worker for young people on a youth justice order or out-of-court disposal.",
        "Mentors help with education, training and positive activities, and attend appointments.",
        "Matched within four weeks of referral."]),
    ("Reparation and community projects", "youth-offending", "restorative-justice", "rolling", (13, 18), [
        "Supervised reparation work such as gardening, decorating and food bank support, agreed with victims where possible.",
        "Young people learn practical skills and can gain AQA Unit Awards.",
        "Saturday and weekday sessions."]),
    ("Early intervention for young people at risk of offending", "youth-offending", "yot-programme", "rolling", (10, 17), [
        "Voluntary support for children and young people who have come to police attention but are not yet in the youth justice system.",
        "A caseworker assesses needs and builds a plan with the family, school and PA.",
        "Aims to prevent a first caution or charge."]),
    ("Knife crime and weapons awareness programme", "youth-offending", "yot-programme", "group", (13, 19), [
        "A six-session programme on the consequences of carrying weapons, with input from trauma surgeons, police and people with lived experience.",
        "For young people found with a weapon or at risk of carrying one.",
        "Can form part of a youth justice intervention plan."]),
    ("Resettlement support after custody", "youth-offending", "yot-programme", "rolling", (15, 21), [
        "Support for young people leaving custody, starting before release: accommodation, education or training, health and benefits.",
        "A resettlement worker meets the young person at the gate and sees them daily in the first week.",
        "Works with the youth justice service and probation."]),
    ("Victim awareness and restorative justice sessions", "youth-offending", "restorative-justice", "course", (13, 18), [
        "Sessions helping young people understand the impact of their offence and, where victims agree, prepare for a restorative meeting.",
        "Delivered by restorative justice practitioners.",
        "Usually part of a referral order or youth rehabilitation order."]),
    ("Exploitation and county lines support", "youth-offending", "yot-programme", "rolling", (11, 19), [
        "Specialist support for young people being criminally exploited, including county lines, cuckooing and debt bondage.",
        "Workers are available outside office hours and work with safeguarding teams.",
        "The young person does not need to have been charged with anything."]),
]

CATEGORY_WHO = {
    "training": ["not in education, employment or training (NEET)", "NEET or at risk of dropping out", "with no Level 2 qualifications"],
    "education": ["NEET or at risk of becoming NEET", "out of school or college", "with few or no qualifications"],
    "employment": ["NEET and ready to look for work", "unemployed or on Universal Credit", "looking for their first job"],
    "housing": ["homeless or at risk of homelessness", "leaving care or unable to live at home", "in unsuitable accommodation"],
    "benefits": ["on a low income or with no income", "claiming or eligible for benefits", "in financial hardship"],
    "health": ["registered with or living near a local GP", "who want confidential health advice"],
    "mental-health": ["experiencing mild to moderate mental health difficulties", "struggling with anxiety or low mood", "not currently open to CAMHS crisis services"],
    "drugs-alcohol": ["worried about drug or alcohol use", "using substances in a harmful way"],
    "anger-management": ["whose anger is causing problems at home, school or work", "at risk of exclusion because of aggression"],
    "youth-offending": ["open to the youth justice service or at risk of offending", "on a youth justice order or out-of-court disposal"],
}

PRACTICAL = {
    "course": [
        "Bus fares are reimbursed weekly and a free lunch is provided.",
        "Learners can get a 16-19 bursary for travel and equipment.",
        "The building is wheelchair accessible and has a quiet room.",
        "An open morning runs two weeks before each start date; PAs are welcome to come along.",
        "Young people can visit for a taster day before committing.",
    ],
    "group": [
        "Each participant has a short one-to-one meeting before the group starts.",
        "Sessions run in the early evening so they fit around college or work.",
        "Young people who miss a session are offered a catch-up.",
    ],
    "rolling": [
        "Referrals are usually picked up within five working days.",
        "Interpreters can be booked for appointments.",
        "Appointments can be held at a place the young person feels comfortable, such as a library or youth centre.",
        "Open Monday to Friday, with one late evening a week.",
    ],
}

ROUTE_SENTENCE = {
    "form": "PAs refer using the online referral form; please include the assessment and consent.",
    "email": "Refer by email with a short summary of needs and the young person's consent.",
    "phone": "Phone the referral line to discuss a young person before referring.",
    "self-referral": "Young people can refer themselves, or a PA can refer with consent.",
    "professional-only": "Referrals are accepted from professionals only (PAs, social workers, YOT officers).",
}

ROUTE_WEIGHTS = {
    "training": {"form": 50, "email": 25, "phone": 15, "self-referral": 10},
    "education": {"form": 50, "email": 20, "phone": 15, "professional-only": 15},
    "employment": {"form": 35, "email": 25, "self-referral": 30, "phone": 10},
    "housing": {"professional-only": 40, "phone": 35, "form": 25},
    "benefits": {"phone": 35, "self-referral": 30, "email": 20, "form": 15},
    "health": {"self-referral": 55, "phone": 25, "form": 20},
    "mental-health": {"form": 40, "self-referral": 30, "phone": 20, "professional-only": 10},
    "drugs-alcohol": {"self-referral": 40, "phone": 30, "form": 30},
    "anger-management": {"form": 45, "email": 25, "professional-only": 30},
    "youth-offending": {"professional-only": 70, "form": 20, "phone": 10},
}

SPECIAL_COSTS = {
    "training": ["Free; £20 refundable deposit for tools", "Free to under-19s; 19+ may be eligible for funding"],
    "education": ["Free to 16-18s; fees waived for 19-23s on a first full Level 2 or 3"],
    "employment": ["Free; placement paid at National Living Wage"],
    "housing": ["Rent covered by Universal Credit housing costs; £12.50 a week service charge",
                "Free to the young person; funded by the local authority"],
    "health": ["Free (NHS)"],
    "mental-health": ["Free; donations welcome"],
    "anger-management": ["Free when referred by a school or PA; £40 per course for self-funders"],
    "drugs-alcohol": ["Free and confidential"],
}

VENUE_KINDS = [
    "{n} Hub", "{n} Youth Centre", "{n} Community Centre", "{o} Training Centre", "{n} Enterprise Centre",
    "{o} at {n} Library", "{o} ({n})", "{n} Family Hub", "{n} Health Centre", "{o} House",
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_postcodes() -> dict[str, list[tuple[str, float, float, str, str]]]:
    """Council -> [(postcode, lat, lon, neighbourhood, town)] from the shipped sample."""
    by_council: dict[str, list] = defaultdict(list)
    with (HERE / "geography" / "west_yorkshire_postcodes.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            district = row["postcode"].split(" ")[0]
            council, town = WEST_YORKSHIRE[district]
            neighbourhood = NEIGHBOURHOODS.get(district, town)
            by_council[council].append((row["postcode"], float(row["lat"]), float(row["lon"]), neighbourhood, town))
    return by_council


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Phones:
    """Fictional numbers from Ofcom's drama ranges, never repeated."""

    def __init__(self) -> None:
        self.leeds = iter(range(0, 1000, 7))
        self.other = iter(range(0, 1000, 3))
        self.mobile = iter(range(0, 1000, 11))

    def landline(self, council: str) -> str:
        if council == "Leeds":
            return f"0113 496 {next(self.leeds):04d}"
        return f"01632 960{next(self.other):03d}"

    def mobile_number(self) -> str:
        return f"07700 900{next(self.mobile):03d}"


def make_intakes(rng: random.Random, kind: str) -> list[dict]:
    def places_taken(places: int) -> tuple[int, int]:
        roll = rng.random()
        if roll < 0.05:
            return 0, 0  # no places released for this intake (yet)
        if roll < 0.16:
            return places, places  # full
        return places, rng.randint(0, max(0, places - 1))

    if kind == "rolling":
        places, taken = places_taken(rng.choice([4, 6, 8, 10, 12, 15, 20, 25, 30, 40]))
        start = rng.choice([0, 0, -7, -30, -30, -60, -90, -180])
        return [{"start_in_days": start, "places": places, "taken": taken, "rolling": True}]
    count = rng.choices([1, 2, 3, 4], weights=[20, 35, 30, 15])[0]
    if kind == "group":
        count = rng.choice([2, 3, 4])
    day = rng.randint(0, 40)
    intakes = []
    for _ in range(count):
        if day > 180:
            break
        places, taken = places_taken(rng.choice([6, 8, 8, 10, 12, 12, 14, 15, 16, 20]))
        intakes.append({"start_in_days": day, "places": places, "taken": taken, "rolling": False})
        day += rng.randint(28, 70)
    return intakes


def make_organisations(rng: random.Random) -> list[dict]:
    generic = GENERIC_STEMS[:]
    rng.shuffle(generic)
    local = {council: rng.sample(stems, len(stems)) for council, stems in COUNCIL_STEMS.items()}
    orgs = []
    kinds = [kind for kind, n in ORG_KIND_COUNTS.items() for _ in range(n)]
    rng.shuffle(kinds)
    used_names: set[str] = set()
    for index, kind in enumerate(kinds, start=1):
        suffixes, *_ = ORG_KINDS[kind]
        council = rng.choices(COUNCILS, weights=COUNCIL_WEIGHTS)[0]
        if local[council] and (rng.random() < 0.35 or not generic):
            stem = local[council].pop()
        else:
            stem = generic.pop()
        name = f"{stem} {rng.choice(suffixes)}"
        while name in used_names:
            name = f"{stem} {rng.choice(suffixes)} {council}"
        used_names.add(name)
        orgs.append({"index": index, "kind": kind, "council": council, "name": name})
    return orgs


def generate() -> dict:
    rng = random.Random(SEED)
    postcodes = load_postcodes()
    phones = Phones()
    by_category: dict[str, list] = defaultdict(list)
    for template in TEMPLATES:
        by_category[template[1]].append(template)
    template_turn: Counter = Counter()

    organisations = []
    provision_number = 0
    for org in make_organisations(rng):
        kind, council, name = org["kind"], org["council"], org["name"]
        suffixes, category_weights, (low, high), blurb = ORG_KINDS[kind]
        domain = f"{slug(name)}.example.org"
        website = f"https://{domain}"
        org_phone = phones.landline(council)
        areas = [council] + ([rng.choice(NEIGHBOURS[council])] if rng.random() < 0.25 else [])
        served = " and ".join(areas)
        org_description = (
            f"{blurb} Based in {council}"
            + (f" with sessions in {areas[1]}" if len(areas) > 1 else "")
            + f". Contact the team on {org_phone} or visit {website}."
        )
        # An organisation's sites: a few real postcodes in its council(s).
        sites = []
        for site_index in range(rng.randint(1, 4)):
            area = areas[min(site_index, len(areas) - 1)] if site_index else council
            postcode, lat, lon, neighbourhood, town = rng.choice(postcodes[area])
            venue = rng.choice(VENUE_KINDS).format(n=neighbourhood if neighbourhood not in {"City Centre", "Town Centre"} else town, o=name)
            locality = town if neighbourhood in {town, "City Centre", "Town Centre"} else f"{neighbourhood}, {town}"
            address = f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {locality}"
            sites.append({"name": venue, "address": address, "postcode": postcode, "lat": lat, "lon": lon})

        provisions = []
        for _ in range(rng.randint(low, high)):
            category = weighted(rng, category_weights)
            options = by_category[category]
            # Rotate through a category's templates so names vary across the directory.
            template = options[(template_turn[category] + rng.randint(0, 2)) % len(options)]
            template_turn[category] += 1
            title, _, kind_within, mode, (min_age, max_age), sentences = template
            if any(p["name"].startswith(title) for p in provisions):
                continue
            provision_number += 1
            location_count = rng.choices([1, 2, 3], weights=[82, 12, 6])[0]
            locations = rng.sample(sites, min(location_count, len(sites)))
            if rng.random() < 0.35 and len(locations) == 1:
                place = locations[0]["address"].rsplit(", ", 1)[-1]
                title = f"{title} – {place}"
            if min_age is not None and max_age is not None and rng.random() < 0.2 and max_age < 25:
                max_age = min(25, max_age + rng.choice([1, 2, 5]))
            route = weighted(rng, ROUTE_WEIGHTS[category])
            who = rng.choice(CATEGORY_WHO[category])
            # Ages and areas served are the listing's rules (min_age, max_age, areas); its
            # eligibility text says only what else the provider asks.
            eligibility = who[:1].upper() + who[1:]
            if category == "housing" and rng.random() < 0.4:
                eligibility += "; must have a local connection"
            requires = [c for word, c in ONLY_FOR.items() if word in title.lower()]
            description = " ".join(
                [sentences[0], f"For young people {who} in {served}."] + sentences[1:]
                + [rng.choice(PRACTICAL[mode]), ROUTE_SENTENCE[route]]
            )
            if route == "phone":
                contact = org_phone if rng.random() < 0.6 else phones.mobile_number()
            elif route in {"form", "email", "professional-only"}:
                contact = f"referrals@{domain}"
            else:
                contact = f"hello@{domain}"
            cost = "Free"
            if category in SPECIAL_COSTS and rng.random() < 0.12:
                cost = rng.choice(SPECIAL_COSTS[category])
            confirmed = rng.randint(0, 29) if rng.random() < 0.85 else rng.randint(31, 200)
            provisions.append({
                "key": f"prov-{provision_number:04d}",
                "name": title,
                "description": description,
                "category": category,
                "kind": kind_within,
                "min_age": min_age,
                "max_age": max_age,
                "cost": cost,
                "areas": [COUNCIL_CODE[a] for a in areas],
                "requires": requires,
                "eligibility": eligibility,
                "referral_route": route,
                "referral_contact": contact,
                "referral_form_url": f"{website}/refer" if route == "form" else None,
                "status": "withdrawn" if rng.random() < 0.03 else "active",
                "confirmed_days_ago": confirmed,
                "locations": [dict(loc) for loc in locations],
                "intakes": make_intakes(rng, mode),
            })
        organisations.append({
            "key": f"org-{org['index']:03d}",
            "name": name,
            "description": org_description,
            "email": f"info@{domain}",
            "phone": org_phone,
            "website": website,
            "provisions": provisions,
        })
    return {
        "area": "West Yorkshire",
        "note": (
            "Fictional demo data: organisations, provisions, streets, email addresses (example.org) "
            "and phone numbers (Ofcom drama ranges) are invented. Postcodes and coordinates are real "
            "(OS Code-Point Open, OGL: contains OS data © Crown copyright and database right). "
            "Dates are relative to the day the demo is loaded."
        ),
        "organisations": organisations,
    }


# ONS codes of the councils (as broker/councils.py), for the areas a listing serves.
COUNCIL_CODE = {"Bradford": "E08000032", "Calderdale": "E08000033", "Kirklees": "E08000034", "Leeds": "E08000035",
                "Wakefield": "E08000036"}
# Listings only for some young people, by a word of their name (broker/taxonomy.py CRITERIA).
ONLY_FOR = {"young parent": "young_parent", "care leaver": "care_leaver"}


def main() -> None:
    directory = generate()
    OUT.write_text(json.dumps(directory, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    provisions = [p for o in directory["organisations"] for p in o["provisions"]]
    counts = Counter(p["category"] for p in provisions)
    print(f"wrote {OUT.name}: {len(directory['organisations'])} organisations, {len(provisions)} provisions")
    for category, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {category:18} {count}")


if __name__ == "__main__":
    main()
