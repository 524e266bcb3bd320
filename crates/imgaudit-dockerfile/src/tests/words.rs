use crate::words::{clean_path, extract_flags, normalize_ws, split_words, unquote};

#[test]
fn whitespace_is_collapsed() {
    assert_eq!(normalize_ws("  a \t b\n\n c  "), "a b c");
    assert_eq!(normalize_ws(""), "");
}

#[test]
fn words_keep_quotes_and_escapes() {
    assert_eq!(
        split_words(r#"A="x y" B='1 2' C=a\ b D"#, '\\'),
        [r#"A="x y""#, "B='1 2'", r"C=a\ b", "D"]
    );
    assert_eq!(split_words("A=`  B", '`'), ["A=` ", "B"]);
    assert_eq!(
        split_words(r#"A="unterminated x"#, '\\'),
        [r#"A="unterminated x"#]
    );
}

#[test]
fn quotes_are_removed() {
    assert_eq!(unquote(r#""a \"b\" \$c \n""#, '\\'), r#"a "b" $c \n"#);
    assert_eq!(unquote(r"'a \b'", '\\'), r"a \b");
    assert_eq!(unquote(r"a\ b\\c", '\\'), r"a b\c");
    assert_eq!(unquote(r"C:\app\", '`'), r"C:\app\");
    assert_eq!(unquote("a` b", '`'), "a b");
}

#[test]
fn flags_are_split_off() {
    let (flags, rest) =
        extract_flags(r#"--mount=type=cache,target=/root/.cache --network="none" pip install x"#);
    assert_eq!(
        flags,
        ["--mount=type=cache,target=/root/.cache", "--network=none"]
    );
    assert_eq!(rest, "pip install x");
    let (flags, rest) = extract_flags("--from=build -- --weird /x");
    assert_eq!(flags, ["--from=build"]);
    assert_eq!(rest, "--weird /x");
    let (flags, rest) = extract_flags("--link");
    assert_eq!(flags, ["--link"]);
    assert_eq!(rest, "");
    let (flags, rest) = extract_flags("-x --y");
    assert!(flags.is_empty());
    assert_eq!(rest, "-x --y");
}

#[test]
fn paths_are_cleaned() {
    assert_eq!(clean_path("/app/"), "/app");
    assert_eq!(clean_path("//a/./b/../c//"), "/a/c");
    assert_eq!(clean_path("/"), "/");
    assert_eq!(clean_path("/.."), "/");
    assert_eq!(clean_path("."), ".");
    assert_eq!(clean_path("./"), ".");
    assert_eq!(clean_path("x/../y/"), "x/../y");
}
