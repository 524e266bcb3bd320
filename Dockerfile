# imgaudit as a container image, for CI systems that run every step in a container:
#   docker build -t imgaudit . && docker save myapp:ci | docker run -i --rm imgaudit inspect -
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p imgaudit

FROM debian:bookworm-slim
COPY --from=build /src/target/release/imgaudit /usr/local/bin/imgaudit
# imgaudit never executes anything from the images it reads; it needs no privileges.
USER 65534:65534
ENTRYPOINT ["imgaudit"]
