//! Demo binary for the zoll `debian-full` test image: uses each pinned dependency once so none is
//! optimised away.

fn main() {
    let re = match regex::Regex::new(r"^(\d{4})-(\d{2})-(\d{2})$") {
        Ok(re) => re,
        Err(e) => {
            eprintln!("rust-app: {}", e);
            std::process::exit(2);
        }
    };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut parts: smallvec::SmallVec<[String; 4]> = smallvec::SmallVec::new();
    if let Some(caps) = re.captures(&today) {
        for i in 1..caps.len() {
            parts.push(caps[i].to_string());
        }
    }
    let t = time::now_utc();
    println!("rust-app {} {:?} {}", today, parts.as_slice(), t.tm_year + 1900);
}
