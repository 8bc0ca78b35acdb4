/*
 * gen-lang-en.c - the English language pack of the corpus generator:
 * word lists from which people, places, organisations, topics and news
 * sites are put together, and the sentence templates of stories and of
 * site boilerplate.
 *
 * All names are made up by combining parts (given x family names, root x
 * suffix for towns, three-part organisations), so that two stories about
 * different events rarely share a name. Templates carry many {a|b}
 * alternatives with slots every few words: two stories that happen to
 * use one template still differ in most five-word runs.
 */
#include "gen.h"

static const char *const given[] = {
    "Adam", "Alice", "Amara", "Anton", "Beatrice", "Boris", "Carla", "Conrad",
    "Daniel", "Delia", "Edwin", "Elena", "Farid", "Fiona", "Gareth", "Greta",
    "Hector", "Helen", "Ian", "Ingrid", "Jonas", "Julia", "Karim", "Katrin",
    "Leon", "Lydia", "Marcus", "Marta", "Nadia", "Neil", "Oscar", "Olga",
    "Patrick", "Priya", "Quentin", "Rosa", "Rafael", "Sabine", "Samuel",
    "Tariq", "Teresa", "Ulrich", "Vera", "Victor", "Wanda", "Walter",
    "Yusuf", "Yvonne", "Zoran", "Zelda", "Arjun", "Bianca", "Cyril", "Dora",
    "Emeka", "Freya", "Gideon", "Hana", "Ivo", "Joanna",
};
static const char *const family[] = {
    "Abernathy", "Baptiste", "Calloway", "Dunmore", "Eriksen", "Falconer",
    "Garrow", "Holloway", "Ibarra", "Jessop", "Kowalczyk", "Lindqvist",
    "Marchetti", "Nkemelu", "Okonkwo", "Pellegrini", "Quarshie", "Rasmussen",
    "Santoro", "Thackeray", "Umeh", "Valcourt", "Whitlock", "Xavier",
    "Yardley", "Zabala", "Ashdown", "Brennan", "Castellan", "Delacroix",
    "Esterhazy", "Fairbairn", "Grimaldi", "Hargreave", "Iwobi", "Jankowski",
    "Kilbride", "Lachance", "Moreau", "Novak", "Oyelaran", "Prescott",
    "Ramaswamy", "Sorensen", "Takacs", "Underhill", "Verhoeven", "Wexler",
    "Yilmaz", "Zielinski", "Alcott", "Bertrand", "Corrigan", "Draxler",
    "Ellwood", "Fontaine", "Gallardo", "Haddad", "Ingram", "Juarez",
};
static const char *const place_a[] = {
    "Ash", "Brim", "Cal", "Dun", "Eld", "Fair", "Gran", "Hal", "Kel", "Lin",
    "Mar", "Nor", "Oak", "Pem", "Red", "Sal", "Tam", "Vel", "Wex", "Yar",
    "Bel", "Cor", "Dray", "Elm", "Frost", "Glen", "Hol", "Ir", "Kes", "Lor",
};
static const char *const place_b[] = {
    "ford", "bridge", "ton", "field", "haven", "mouth", "ley", "wick",
    "burg", "dale", "port", "stead", "moor", "cester", "holm", "brook",
    "by", "combe", "gate", "hurst",
};
static const char *const place_kind[] = {""};
static const char *const region[] = {
    "the Northern Province", "the Eastvale district", "the coastal south",
    "the Riverland region", "the western highlands", "the capital region",
    "the Lakes district", "the central plains", "the Marren valley",
    "the southern islands", "the Brackwater delta", "the Upper Tolan basin",
};
static const char *const org_a[] = {
    "National", "Federal", "Eastern", "United", "Coastal", "Metropolitan",
    "Independent", "Central", "Northern", "Allied", "Royal", "Civic",
};
static const char *const org_b[] = {
    "Grain", "Rail", "Steel", "Health", "Energy", "Shipping", "Water",
    "Farmers", "Teachers", "Transport", "Fisheries", "Housing", "Mining",
    "Textile", "Aviation",
};
static const char *const org_kind[] = {
    "Council", "Union", "Authority", "Association", "Commission", "Board",
    "Federation", "Corporation", "Agency", "Institute",
};
static const char *const jobs[] = {
    "finance minister", "labour minister", "chief executive", "spokeswoman",
    "spokesman", "mayor", "union leader", "chairman", "governor",
    "senior official", "trade minister", "health minister", "director",
    "deputy chair", "general secretary",
};
static const char *const topic_a[] = {
    "proposed", "long-delayed", "disputed", "new", "revised",
    "controversial", "multi-year", "regional", "emergency", "planned",
};
static const char *const topic_b[] = {
    "harbour", "pension", "railway", "water supply", "minimum wage",
    "fishing quota", "housing", "power grid", "school funding", "airport",
    "steel tariff", "hospital", "bridge", "flood defence", "broadband",
};
static const char *const topic_kind[] = {
    "plan", "deal", "bill", "project", "reform", "agreement", "package",
    "scheme", "proposal", "programme",
};

static const char *const headline[] = {
    "$O {agrees|backs|approves|rejects|delays} $T",
    "$P {says|warns|insists} $T {will|could} {cost|save} $M",
    "{Talks|Negotiations} on $T {stall|resume|collapse|make progress} in $C",
    "$C {residents|officials|workers} {protest|welcome|question} $T",
    "$O {to review|to cut|to expand|to scrap} $T after {criticism|protests|delays|audit}",
    "{Deal|Vote|Decision} on $T {expected|postponed|reached} {this week|on $D|by month end}",
    "$N {jobs|homes|families|workers} {affected by|at risk from|to benefit from} $T",
    "$P and $Q {meet|clash|agree} over $T",
    "{Anger|Relief|Uncertainty} in $C as $O {moves on|shelves|revises} $T",
    "$T {to cost|could cost|will cost} $M, $O {says|admits|confirms}",
};
static const char *const lead[] = {
    "The $O {said|announced|confirmed} on $D that it {would|will} {move ahead with|put on hold|revise|review} the $T, a {decision|move|step} {that|which} {could affect|will affect|is expected to touch} {about|nearly|more than} $N {people|households|workers} in $K.",
    "{Officials|Negotiators|Lawmakers} in $C {reached|struck|failed to reach} {an agreement|a deal|a compromise} on $D over the $T, {ending|extending|prolonging} {weeks|months} of {talks|dispute|uncertainty} {between|involving} the $O and the $U.",
    "The $T {will cost|is set to cost|could cost} {about|roughly|up to} $M, $P, the $J {of|at} the $O, {said|told reporters|announced} on $D.",
    "$P, {the|a} $J {of|at} the $O, {said|warned|argued} on $D that the $T {would|could|might} {raise|cut|change} {costs|prices|fees} by $F {over|within} {the next|the coming} {two|three|five} years.",
    "{A|The} {long-running|bitter|months-long} {dispute|debate|standoff} over the $T {took|reached} a {new|fresh|decisive} turn on $D {when|after} the $O {voted|moved|decided} to {approve|reject|delay} {it|the measure|the plan}.",
    "{Hundreds|Dozens|Thousands} of {residents|workers|farmers|teachers} {gathered|marched|rallied} in $C on $D {to protest|in support of|to demand changes to} the $T, {which|a plan that} the $O {says|insists|argues} {will|would} {benefit|protect|help} $N {people|families|households}.",
};
static const char *const body[] = {
    "The $O {has|had} {long|repeatedly|previously} {argued|maintained|said} that the $T {is|was} {needed|essential|overdue} to {modernise|protect|support} {the region|local industry|public services} in $K.",
    "{Under|According to} the {proposal|draft|plan}, {about|roughly|some} $N {new|additional} {jobs|homes|places|positions} {would|will} be {created|built|funded} {by|before} {2025|2026|2027|the end of the decade}.",
    "$Q, {the|a} $H {at|of} the $U, {said|told reporters|noted} the {figures|numbers|estimates} {did not|failed to} {reflect|account for|include} {rising|higher|recent} {costs|prices|interest rates}.",
    "{Critics|Opponents|Some economists} {say|argue|warn} the {plan|measure|scheme} {relies|depends} {too heavily|heavily|largely} on {borrowing|public money|federal grants|private investors}.",
    "{Budget|Treasury|Finance} {documents|figures|papers} {seen by|obtained by|shared with} reporters {show|suggest|indicate} {spending|costs|outlays} {rising|climbing|growing} {by|to} $F {next year|this year|by 2026}.",
    "The $U {is expected|is due|plans} to {publish|release|present} {its own|a separate|an independent} {assessment|review|report} {on $D|next week|later this month}.",
    "{Residents|Business owners|Local leaders} in $C {have|had} {complained|warned|raised concerns} {about|over} {noise|traffic|higher fees|lost income} {during|since} {the first phase|construction|the trial period}.",
    "$S {said|added|noted} the {government|council|board} {remained|was|stayed} {open to|committed to|willing to consider} {changes|amendments|further talks} {if|provided|as long as} {costs|the numbers|demand} {stayed|remained} {under control|within budget|stable}.",
    "{Last year|In 2022|Two years ago}, a {similar|smaller|comparable} {project|plan|programme} in $K {ran|went|came in} $F over {budget|schedule|forecast}, {according to|citing|based on} {an audit|a report|official data} {from|by} the $U.",
    "{The|Wednesday's|Friday's} {vote|decision|announcement} {follows|comes after|came after} {weeks|months} of {pressure|lobbying|protests} {from|by} {unions|farm groups|opposition lawmakers|local councils}.",
    "{Some|Several|A number of} {members|lawmakers|board members} {abstained|walked out|voted against}, {citing|pointing to|raising} {concerns|doubts|questions} about {transparency|the timeline|the cost estimates}.",
    "$P {is scheduled|is due|is expected} to {meet|hold talks with|brief} $Q {again|next|once more} on {Monday|Tuesday|Thursday} to {discuss|settle|review} {the details|outstanding issues|the timetable}.",
    "{Shares|Stocks|Bonds} of {companies|firms|suppliers} {linked to|involved in|bidding for} the {project|plan|contract} {rose|fell|climbed|slipped} $F {in early trading|on the news|after the announcement}.",
    "{Environmental groups|Conservationists|Campaigners} {have|had} {called|pushed|asked} for {a full|a fresh|an independent} {study|review|inquiry} of the {impact|effects|consequences} on {rivers|wetlands|farmland|coastal areas} {near|around} $C.",
    "{A|The} $O {statement|spokesperson|report} {said|stressed|made clear} that {no|few} {jobs|services|routes} {would|will} be {cut|lost|affected} {during|in} the {transition|first year|rollout}.",
    "{Opposition|Rival} {parties|politicians|leaders} {accused|criticised|blamed} the $O {of|for} {rushing|hiding|mismanaging} the {process|figures|tender}.",
    "{Polls|Surveys|A recent survey} {show|suggest|found} {about|roughly|nearly} $F of {voters|residents|respondents} in $K {support|oppose|are undecided on} the $T.",
    "{Construction|Work|The first phase} {is set|is planned|is scheduled} to {begin|start|get under way} in {spring|autumn|early 2025|the second half of the year}, {pending|subject to|depending on} {approval|financing|a final vote}.",
    "{Officials|Engineers|Planners} {estimate|expect|forecast} the {work|project|upgrade} {will|could} {take|last|require} {three|four|five|six} years and {employ|involve|need} {up to|about|some} $N {people|workers|contractors}.",
    "$Q {said|argued|warned} that {smaller|rural|poorer} {towns|districts|communities} {would|could} {bear|carry|shoulder} {most of|much of|a large share of} the {cost|burden|risk}.",
    "{In|During} {a televised|a radio|an online} {address|interview|briefing}, $S {described|called|termed} the {agreement|plan|outcome} {an important|a historic|a necessary|a difficult} {step|compromise|milestone}.",
    "{The|That} {figure|amount|sum} {includes|covers|excludes} {about|roughly} $M {for|in} {land purchases|compensation|maintenance|interest payments}.",
    "{Trade groups|Industry bodies|Employers} {welcomed|cautiously welcomed|criticised} the {decision|move|announcement}, {saying|adding|arguing} it {gave|offered|brought} {certainty|clarity|little relief} to {investors|members|small firms}.",
    "{A|One} {senior|veteran|former} {official|adviser|negotiator}, {who declined to be named|speaking on condition of anonymity}, said {talks|discussions} had {nearly|almost} {collapsed|broken down|stalled} {twice|several times|last month}.",
    "The $U {has|had} {threatened|promised|vowed} to {challenge|contest|review} the {decision|plan|outcome} {in court|before regulators|at its next meeting}.",
    "{Inflation|Unemployment|Growth} in $K {stood at|reached|slowed to} $F {in|during} {the last quarter|October|the first half}, {adding to|easing|increasing} {pressure|concern|debate} over {public spending|the budget|wages}.",
    "{Both sides|The two groups|Negotiators} {agreed|promised|pledged} to {set up|create|form} a {joint|working|technical} {committee|panel|group} {to|that will} {monitor|oversee|track} {progress|spending|implementation}.",
    "{Local media|Newspapers|Broadcasters} in $C {reported|said} {about|some} $N {people|spectators|supporters} {watched|followed|attended} the {session|debate|meeting}.",
    "$R, {an analyst|an economist|a researcher} at the $U, said the {outcome|deal|decision} {was|seemed|looked} {largely|broadly|mostly} {in line with|ahead of|below} {expectations|forecasts|market hopes}.",
    "{Previous|Earlier|Past} {attempts|efforts|plans} to {reform|overhaul|expand} the {system|network|sector} {failed|collapsed|stalled} in {2015|2018|2019|2021} {amid|because of|after} {funding disputes|legal challenges|political infighting}.",
    "{Meanwhile|Separately|At the same time}, the $O {said|confirmed|announced} it {would|will} {hire|recruit|train} {about|up to} $N {staff|inspectors|engineers} {to|who will} {handle|manage|support} the {rollout|new rules|project}.",
    "{Details|The terms|Key parts} of the {agreement|plan|bill} {have not been|were not|are yet to be} {made public|disclosed|published}, {but|although} {officials|sources|people familiar with the matter} {said|indicated} they {include|cover|would include} {tax breaks|wage guarantees|new inspections|a review clause}.",
};
static const char *const quote[] = {
    "We {cannot|will not|must not} {wait|delay|stand still} {any longer|another year|forever} {while|when} {families|workers|businesses} {are|keep} {struggling|paying more|losing out}",
    "This {is|was} {a fair|a balanced|a hard-won|a difficult} {agreement|compromise|decision} {for|that serves} {everyone|the whole region|all sides}",
    "The {numbers|figures|costs} {simply|just} {do not|don't} {add up|work|make sense}, and {people|voters|taxpayers} {deserve|need} {better|the truth|answers}",
    "{Nobody|No one} {wanted|expected|planned} {this|such an} {outcome|delay|result}, but {we|our members} {will|are ready to} {keep working|keep talking|move forward}",
    "{Our|The} {priority|focus|goal} {is|remains|has always been} {safety|jobs|fairness} {for|in} {every|each} {town|district|community} in $K",
    "{We|I} {expect|hope|believe} {the first results|real progress|the benefits} {will|can} be {seen|felt} {within|in} {months|a year|two years}",
    "{It|This} {is|was} {not|never} {about|a question of} {politics|money|one group}, {it is|but} about {the future|our children|long-term growth}",
    "We {have|had} {listened|heard} {carefully|closely} {to|from} {residents|workers|critics} and {changed|adjusted|improved} the {plan|proposal|terms} {accordingly|as a result}",
};
static const char *const quote_intro[] = {
    "\"$X,\" $P {said|told reporters|said in a statement}.",
    "\"$X,\" {said|added} $P, the $J {of|at} the $O.",
    "$P {told|said to} {reporters|journalists|the press} {after the meeting|on $D|in $C}: \"$X.\"",
    "\"$X,\" $S {said|stressed|insisted} {at a news conference|in an interview|after the vote}.",
};
static const char *const closer[] = {
    "The $O {is due|is expected|plans} to {announce|publish|confirm} {a final decision|further details|the timetable} {by|before|in} {the end of the month|next week|the new year}.",
    "{Talks|Discussions|Negotiations} {will resume|are set to resume|continue} on {Monday|$D|Friday} in $C.",
    "{Neither|None of the} {side|parties} {responded|replied} to {requests|calls} for {further comment|comment|an interview} {on $D|by deadline|late on $D}.",
    "The {next|final|second} {vote|hearing|round of talks} {is scheduled|is planned|is set} for $Z.",
    "\"$Y,\" $Q {said|added|concluded}.",
};
static const char *const insert[] = {
    "{This is a developing story|This story is developing} {and will be updated|and may be updated|with more details to follow}.",
    "{Background|Context}: the $T was first {proposed|announced|floated} {in|during} {2019|2020|2021} {by|under} the $O.",
    "{Earlier|Previously}, $P had {said|suggested|hinted} that {a decision|an announcement|a vote} {could come|was likely|might come} {before|by} {the summer|the end of the year}.",
    "{Readers|Subscribers} can {follow|read|find} {our|full} {coverage|live updates|analysis} of the $T {on our website|in our app|in tomorrow's edition}.",
    "The $O {has|had} not {published|released|disclosed} {the full text|all the figures|its legal advice} {so far|yet|to date}.",
};
static const char *const editor_note[] = {
    "{This article|This report} {has been|was} {updated|edited|amended} {with additional reporting|to add details|to correct a date}.",
    "{Additional reporting by|Compiled by|Edited by} {the news desk|our correspondents|staff writers}.",
    "{Photo|Image|Video}: {file photo|supplied|handout}.",
    "{For more|For related} {news|stories|coverage}, {visit|see|follow} our {homepage|business section|world section}.",
};
static const char *const weekdays[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};
static const char *const months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
};
static const char *const site_a[] = {
    "Daily", "Morning", "Evening", "Metro", "Coastal", "Capital", "Valley",
    "Harbour", "Northern", "Sunday", "Weekly", "Global", "City", "National",
    "Prairie",
};
static const char *const site_b[] = {
    "Herald", "Tribune", "Post", "Ledger", "Courier", "Gazette", "Observer",
    "Chronicle", "Sentinel", "Times", "Standard", "Journal", "Record",
    "Dispatch", "Bulletin",
};
static const char *const sections[] = {
    "Home", "World", "Business", "Politics", "Sport", "Opinion", "Tech",
    "Culture", "Health", "Science", "Local", "Video", "Markets", "Travel",
    "Weather",
};
static const char *const also_read[] = {
    "ALSO READ:", "Also read:", "READ MORE:", "Related:", "See also:", "MUST READ:",
};
static const char *const related_label[] = {
    "More from $W", "Top stories", "Trending now", "You may also like",
    "Latest news", "Most read on $W",
};
static const char *const cookie[] = {
    "We use cookies to {improve|personalise} your experience on $W. By continuing to browse you agree to our use of cookies. Learn more in our privacy policy.",
    "$W and its partners use cookies and similar technologies to {measure traffic|show relevant adverts|remember your settings}. You can change your choices at any time in Settings.",
    "This site uses cookies. {Accept all|Manage preferences|Reject non-essential} cookies to continue reading $W.",
};
static const char *const subscribe[] = {
    "Subscribe to $W for unlimited access to {breaking news|our journalism|every story}. {Cancel anytime.|First month free.|Support local reporting.}",
    "Get the $W newsletter in your inbox every morning. Sign up now.",
    "You have {3|5|2} free articles left this month. Subscribe for full access to $W.",
};
static const char *const weather[] = {
    "$C {12|18|7|24|3|15}\xc2\xb0""C {Sunny|Cloudy|Light rain|Partly cloudy|Windy|Showers} | $D, $Z",
    "Weather in $C: {Sunny|Cloudy|Light rain|Fog|Showers}, $N\xc2\xb0""C",
};
static const char *const byline[] = {
    "By $P, $W", "$P | $W staff", "Reporting by $P; editing by $Q",
    "Written by $P", "By $P and $Q",
};
static const char *const footer[] = {
    "\xc2\xa9 $E $W. All rights reserved.",
    "Copyright $E $W. Reproduction prohibited.",
    "$W | About us | Contact | Advertise | Privacy",
};
static const char *const agencies[] = {
    "AP", "Reuters", "IANS", "AFP", "Kyodo", "Yonhap", "PTI", "Bloomberg",
};

const gen_lang gen_lang_en = {
    .code = "en", .sep = " ", .spaced = 1,
    .given = GEN_LIST(given), .given2 = {0, 0}, .family = GEN_LIST(family),
    .place_a = GEN_LIST(place_a), .place_b = GEN_LIST(place_b),
    .place_kind = GEN_LIST(place_kind), .region = GEN_LIST(region),
    .org_a = GEN_LIST(org_a), .org_b = GEN_LIST(org_b),
    .org_kind = GEN_LIST(org_kind), .jobs = GEN_LIST(jobs),
    .topic_a = GEN_LIST(topic_a), .topic_b = GEN_LIST(topic_b),
    .topic_kind = GEN_LIST(topic_kind), .name_fmt = "GF",
    .headline = GEN_LIST(headline), .lead = GEN_LIST(lead),
    .body = GEN_LIST(body), .quote = GEN_LIST(quote),
    .closer = GEN_LIST(closer), .insert = GEN_LIST(insert),
    .editor_note = GEN_LIST(editor_note), .quote_intro = GEN_LIST(quote_intro),
    .count_fmt = "%s", .money_fmt_small = "$%s million",
    .money_fmt_large = "$%s billion", .pct_fmt = "%s percent",
    .weekdays = GEN_LIST(weekdays), .months = GEN_LIST(months),
    .date_fmt = "%M %D", .day_fmt = 0,
    .site_a = GEN_LIST(site_a), .site_b = GEN_LIST(site_b),
    .sections = GEN_LIST(sections), .also_read = GEN_LIST(also_read),
    .related_label = GEN_LIST(related_label), .cookie = GEN_LIST(cookie),
    .subscribe = GEN_LIST(subscribe), .weather = GEN_LIST(weather),
    .byline = GEN_LIST(byline), .footer = GEN_LIST(footer),
    .agencies = GEN_LIST(agencies),
    .dateline_fmt = "%C, %Z (%A) -- ",
    .open_q = "\xe2\x80\x9c", .close_q = "\xe2\x80\x9d",
};
