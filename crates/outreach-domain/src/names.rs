//! Names as workers hear and type them: normalising (case, accents,
//! punctuation), known nicknames and short forms, and how alike two names
//! are. Shared by the store's fuzzy search and the duplicate check
//! ([`crate::duplicates`]), so both agree on what 'the same name' means.

use unicode_normalization::UnicodeNormalization;

/// Lower-cases, strips accents and punctuation, and collapses spaces.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space && (c.is_whitespace() || c == '-' || c == '.' || c == ',' || c == '/') {
            out.push(' ');
            space = true;
        }
        // apostrophes and other marks vanish: O'Brien -> obrien
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Groups of names that are the same name to a worker (nicknames and short
/// forms). Each group's first entry is its canonical form.
pub const NICKNAMES: &[&[&str]] = &[
    &["william", "bill", "billy", "will", "willy", "liam"],
    &["robert", "bob", "bobby", "rob", "robbie", "bert"],
    &["richard", "rick", "ricky", "dick", "rich", "richie"],
    &["james", "jim", "jimmy", "jamie", "jimbo"],
    &["john", "jack", "johnny", "jon", "jonny"],
    &["michael", "mike", "mick", "micky", "mikey"],
    &["david", "dave", "davey", "davy"],
    &["stephen", "steven", "steve", "stevie"],
    &["anthony", "tony", "ant"],
    &["christopher", "chris", "kit"],
    &["daniel", "dan", "danny"],
    &["thomas", "tom", "tommy"],
    &["joseph", "joe", "joey"],
    &["edward", "ed", "eddie", "ted", "ned"],
    &["patrick", "pat", "paddy"],
    &["peter", "pete"],
    &["andrew", "andy", "drew"],
    &["alexander", "alex", "sandy"],
    &["matthew", "matt"],
    &["nicholas", "nick", "nicky"],
    &["samuel", "sam", "sammy"],
    &["benjamin", "ben", "benny"],
    &["francis", "frank", "frankie"],
    &["kenneth", "ken", "kenny"],
    &["terence", "terry"],
    &["lawrence", "larry", "laurie"],
    &["gerald", "gerry", "jerry"],
    &["elizabeth", "liz", "lizzie", "beth", "betty", "eliza"],
    &["margaret", "maggie", "meg", "peggy", "maggy"],
    &["katherine", "catherine", "kate", "katie", "cath", "cathy", "kath", "kathy"],
    &["susan", "sue", "susie"],
    &["jennifer", "jen", "jenny"],
    &["rebecca", "becky", "becca"],
    &["deborah", "debbie", "deb"],
    &["patricia", "trish", "patsy", "tricia"],
    &["victoria", "vicky", "tori"],
    &["samantha", "sam", "sammy"],
    &["alexandra", "alex", "lexi"],
    &["christine", "chris", "chrissie", "tina"],
    &["jacqueline", "jackie"],
    &["josephine", "jo", "josie"],
];

/// The nickname groups `word` belongs to (indexes into [`NICKNAMES`]).
pub fn nickname_groups(word: &str) -> impl Iterator<Item = usize> + '_ {
    NICKNAMES.iter().enumerate().filter(move |(_, g)| g.contains(&word)).map(|(i, _)| i)
}

/// Whether two normalised words are the same name to a worker.
pub fn same_name(a: &str, b: &str) -> bool {
    nickname_groups(a).any(|g| NICKNAMES[g].contains(&b))
}

/// Similarity of a query word to a name word, 0 to 1.
pub fn word_similarity(q: &str, n: &str) -> f64 {
    if q == n {
        1.0
    } else if n.starts_with(q) && q.chars().count() >= 2 {
        0.9 + 0.05 * (q.len() as f64 / n.len() as f64)
    } else if same_name(q, n) {
        0.92
    } else if q.chars().count() >= 3 && n.contains(q) {
        0.85
    } else {
        strsim::jaro_winkler(q, n)
    }
}

/// How well `query` (normalised) matches one normalised name, 0 to 1: the
/// mean over query words of their best match among the name's words.
pub fn name_score(query_words: &[&str], name: &str) -> f64 {
    let name_words: Vec<&str> = name.split(' ').filter(|w| !w.is_empty()).collect();
    if name_words.is_empty() || query_words.is_empty() {
        return 0.0;
    }
    let total: f64 =
        query_words.iter().map(|q| name_words.iter().map(|n| word_similarity(q, n)).fold(0.0, f64::max)).sum();
    total / query_words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_case_accents_and_marks() {
        assert_eq!(normalise("  Zoë  O'Brien-Smith "), "zoe obrien smith");
        assert_eq!(normalise("ŁUKASZ"), "łukasz");
    }

    #[test]
    fn nicknames_and_typos_score_high_and_strangers_low() {
        assert_eq!(name_score(&["john", "smith"], "john smith"), 1.0);
        assert!(name_score(&["bill", "jones"], "william jones") > 0.9);
        assert!(name_score(&["jon", "smyth"], "john smith") > 0.85);
        assert!(name_score(&["mary", "oneill"], "john smith") < 0.7);
        assert_eq!(name_score(&[], "john"), 0.0);
    }
}
