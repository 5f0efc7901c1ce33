"""Short everyday sentences for the synthetic set, with what espeak-ng is asked to say.

``text`` is what a listener hears in the language's normal orthography (the transcript stored
in the manifest); ``spoken`` is the input given to espeak-ng when it differs: Hanzi are spoken
through their tone-numbered pinyin with the ``cmn-latn-pinyin`` voice, and Japanese is written in
kana (espeak-ng reads kana, not kanji), avoiding the particles は/へ whose kana are pronounced
differently from their letters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    text: str
    spoken: str | None = None

    @property
    def engine_input(self) -> str:
        return self.spoken or self.text


VOICES: dict[str, str] = {
    "en": "en-us",
    "fr": "fr",
    "de": "de",
    "es": "es",
    "zh": "cmn-latn-pinyin",
    "ja": "ja",
}
"""espeak-ng base voice per language code."""

VARIANTS: tuple[str, ...] = ("m1", "f1", "m3", "f4")
"""espeak-ng voice variants (speakers) cycled over the utterances. Variants with a ``breath``
setting (f2, f3, f5) are left out: their noise differs from run to run even with libc ``rand``
seeded, which would break the byte-reproducibility of the set."""

RATES_WPM: tuple[int, ...] = (150, 175, 195, 165)
"""Speaking rates in words per minute (espeak-ng's default is 175)."""

SENTENCES: dict[str, tuple[Sentence, ...]] = {
    "en": (
        Sentence("The quick brown fox jumps over the lazy dog."),
        Sentence("It is a lovely day for a walk in the park."),
        Sentence("The train leaves at seven in the morning."),
        Sentence("Can you hear me clearly now?"),
        Sentence("We planted tomatoes in the garden last spring."),
        Sentence("Thank you very much for your help."),
        Sentence("Please close the window before you leave."),
        Sentence("My brother likes to read old books."),
    ),
    "fr": (
        Sentence("Bonjour, comment allez-vous aujourd'hui ?"),
        Sentence("Le chat dort sur le canapé."),
        Sentence("Il fait très beau ce matin."),
        Sentence("Nous allons au marché samedi."),
        Sentence("J'aime lire des livres le soir."),
        Sentence("La gare est tout au bout de la rue."),
        Sentence("Merci beaucoup pour votre aide."),
        Sentence("Le café est encore chaud."),
    ),
    "de": (
        Sentence("Guten Morgen, wie geht es Ihnen?"),
        Sentence("Der Hund spielt im Garten."),
        Sentence("Heute ist das Wetter sehr schön."),
        Sentence("Wir fahren morgen nach Berlin."),
        Sentence("Ich trinke gern einen warmen Tee."),
        Sentence("Das Buch liegt auf dem Tisch."),
        Sentence("Vielen Dank für Ihre Hilfe."),
        Sentence("Die Kinder lachen laut im Hof."),
    ),
    "es": (
        Sentence("Buenos días, ¿cómo estás?"),
        Sentence("El perro corre por el parque."),
        Sentence("Hoy hace mucho sol en la ciudad."),
        Sentence("Mañana vamos a la playa."),
        Sentence("Me gusta leer por la noche."),
        Sentence("La casa tiene un jardín grande."),
        Sentence("Muchas gracias por tu ayuda."),
        Sentence("El tren llega a las ocho."),
    ),
    "zh": (
        Sentence("今天天气很好。", "jin1 tian1 tian1 qi4 hen3 hao3."),
        Sentence("我喜欢喝茶。", "wo3 xi3 huan1 he1 cha2."),
        Sentence("他在图书馆看书。", "ta1 zai4 tu2 shu1 guan3 kan4 shu1."),
        Sentence("我们明天去北京。", "wo3 men2 ming2 tian1 qu4 bei3 jing1."),
        Sentence("请问现在几点？", "qing3 wen4 xian4 zai4 ji3 dian3?"),
        Sentence("非常感谢你。", "fei1 chang2 gan3 xie4 ni3."),
        Sentence("小猫在睡觉。", "xiao3 mao1 zai4 shui4 jiao4."),
        Sentence("火车马上就到。", "huo3 che1 ma3 shang4 jiu4 dao4."),
    ),
    "ja": (
        Sentence("みなさん、おはようございます。", "みなさん、 おはよう ございます。"),
        Sentence("ありがとうございます。", "ありがとう ございます。"),
        Sentence("きょうもいいてんきですね。", "きょう も いい てんき です ね。"),
        Sentence("でんしゃがきました。", "でんしゃ が きました。"),
        Sentence("このほんがすきです。", "この ほん が すき です。"),
        Sentence("あしたもがっこうにいきます。", "あした も がっこう に いきます。"),
        Sentence("コーヒーがすきです。", "コーヒー が すき です。"),
        Sentence("いっしょにたべましょう。", "いっしょに たべましょう。"),
    ),
}
