//! Throughput of `scan_file` over a synthetic ~20 MB corpus of ordinary text (configs, shell,
//! Python, prose) with a few secrets: the keyword prefilter is the fast path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zoll_secrets::Detector;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let chunks = [
        "# /etc/default/useradd\nSHELL=/bin/sh\nHOME=/home\nINACTIVE=-1\nEXPIRE=\nSKEL=/etc/skel\n",
        "import os\nimport sys\n\ndef main(argv):\n    for arg in argv[1:]:\n        print(os.path.basename(arg))\n    return 0\n",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\n",
        "server {\n    listen 80;\n    server_name localhost;\n    location / { root /usr/share/nginx/html; }\n}\n",
        "if [ -f /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi\nexport PATH=/usr/local/sbin:/usr/local/bin:$PATH\n",
        "password = get_password(user)\ntoken = request.headers.get(\"Authorization\")\n",
        "https://deb.debian.org/debian bookworm main\n",
    ];
    let mut files = Vec::new();
    let mut total = 0usize;
    let mut i = 0usize;
    while total < 20 * 1024 * 1024 {
        let mut body = String::new();
        while body.len() < 16 * 1024 {
            body.push_str(chunks[(i + body.len()) % chunks.len()]);
        }
        if i.is_multiple_of(500) {
            body.push_str("GITHUB_TOKEN=ghp_8fK2mQ9xLpR4vT7wZ1cN5bH3jD6sA0eYgU2i\n");
        }
        total += body.len();
        files.push((format!("/usr/lib/app/file{i}.txt"), body.into_bytes()));
        i += 1;
    }
    files
}

fn bench_scan(c: &mut Criterion) {
    let detector = Detector::builtin();
    let files = corpus();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut g = c.benchmark_group("secrets");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("scan_20mb_text_tree", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (path, data) in &files {
                if detector.wants(path, data.len() as u64) {
                    n += detector.scan_file(path, black_box(data)).len();
                }
            }
            assert!(n > 0);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
