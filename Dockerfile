# The Arbiter API/worker image: one image, two commands (`arbiter serve`, `arbiter worker`).
#
#   docker build -t arbiter .                                        # FROM python:3.11-slim-bookworm
#   scripts/build-images                                             # offline: FROM arbiter-base:bookworm
#
# BASE must be Debian bookworm-like with python3 >= 3.11 (the offline base is a debootstrap root
# with python3, venv, bubblewrap and redis-server: scripts/build-images). Wheels found in
# build/wheels (scripts/build-images puts them there) are installed without network; otherwise pip
# installs from PyPI. bubblewrap runs model-written code inside the worker (see compose.yaml for
# the security options it needs).
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}

RUN if ! command -v bwrap >/dev/null || ! command -v tini >/dev/null; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends bubblewrap tini \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && (python3 -m venv /opt/arbiter || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv /opt/arbiter; }) \
    && useradd --create-home --uid 10001 arbiter

COPY . /src
RUN if ls /src/build/wheels/*.whl >/dev/null 2>&1; then \
      /opt/arbiter/bin/pip install -q --no-index --find-links /src/build/wheels "$(ls /src/build/wheels/arbiter-*.whl)[service]"; \
    else \
      /opt/arbiter/bin/pip install -q '/src[service]'; \
    fi \
    && rm -rf /src /root/.cache

ENV PATH=/opt/arbiter/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ARBITER_SANDBOX_BACKEND=bwrap
USER arbiter
WORKDIR /home/arbiter
EXPOSE 8000
ENTRYPOINT ["tini", "--"]
CMD ["arbiter", "serve", "--host", "0.0.0.0", "--port", "8000"]
