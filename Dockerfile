# The bot as a container image: `python -m bot`, configured by environment variables only
# (.env.example lists them); the models are installed with the package.
#   docker build -t mathsnap .
#   docker run --rm --env-file .env -v mathsnap-state:/home/mathsnap/state mathsnap
#                                                     # polling: one container per bot token
# Several webhook replicas behind nginx: compose.yaml and docs/scale-out.md.

# Build stage: the project and its runtime dependencies (no dev or train extras) in /install.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY recognizer recognizer
COPY models models
# Then drop what is never imported at run time: the libraries' test suites, and LiteRT's
# WebGPU accelerator, NPU vendor plug-ins and tools (the bot runs its interpreters on the CPU).
RUN pip install --no-cache-dir --prefix=/install . \
 && cd /install/lib/python3.11/site-packages \
 && find . -depth -type d -name tests -exec rm -rf {} + \
 && rm -rf ai_edge_litert/libLiteRtWebGpuAccelerator.so ai_edge_litert/vendors \
           ai_edge_litert/tools

# Run stage: Python, the installed packages and an unprivileged user; nothing else.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PORT=8080
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mathsnap
USER mathsnap
WORKDIR /home/mathsnap
# The update inbox (STATE_DIR's default); made here so a volume mounted on it is ours.
RUN mkdir state
EXPOSE 8080
# Webhook mode: passes while the local web server answers on $PORT; in polling mode it
# always passes (there is no server to ask).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.health"]
CMD ["python", "-m", "bot"]
