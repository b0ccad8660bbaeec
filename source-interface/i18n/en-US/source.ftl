## Layout
site-title = { $org } — secure submissions
skip-to-content = Skip to content
footer-public-key = Our public key
footer-why-key = Why download our public key?
footer-metadata-note = Powered by Postern. This page uses no JavaScript.
logout-button = Log out

## Index
index-heading = Share information securely with { $org }
index-intro = This service lets you send us messages and documents without revealing who you are. Everything you send is encrypted for our journalists as soon as it arrives.
index-first-time = First submission
index-first-time-body = Get a codename: a phrase of seven words that is your only way back in.
index-get-started = Get started
index-returning = Return visit
index-returning-body = Already have a codename? Log in to check for replies or send more.
index-login = Log in

## Generate
generate-heading = Welcome
generate-codename-label = Your codename is:
generate-instructions = Write this codename down and keep it somewhere safe, or memorise it. It is the only way to log in again and read our replies. We cannot recover it for you, and nobody else should ever see it.
generate-continue = Submit documents or messages
generate-already-logged-in = You are already logged in. Please verify your codename below, or log out first.

## Login
login-heading = Enter your codename
login-label = Codename
login-submit = Continue
login-failed = Sorry, that is not a recognised codename.
login-no-codename = Don't have a codename? Get one on the front page.

## Lookup
lookup-heading = Submit files or messages
lookup-intro = You can send us messages, files, or both. Everything is encrypted as soon as it arrives.
lookup-first-hint = Your first submission must contain a message of at least { $min } characters if it has no file.
lookup-codename-reminder = Remember, your codename is:
lookup-msg-label = Message
lookup-scrub-hint = This works for JPEG, PNG and WebP photos. Other files, including HEIC photos from iPhones, are sent as they are.
lookup-fh-label = Files (you may choose several)
lookup-scrub-label = Remove hidden photo information — location, camera, time — before your files are encrypted. Journalists may use this information to verify a photo; leave it on unless you want them to see it.
lookup-max-upload = Maximum total upload size: { $size }.
lookup-honeypot = Anti-spam check. Do not fill this in!
lookup-submit = Submit
lookup-replies-heading = Replies
lookup-no-replies = There are no replies for you yet. Check back later.
lookup-replies-intro = Newest first. Delete replies once you have read them: then no one who learns your codename can read them here.
lookup-reply-unreadable = This reply could not be decrypted. It may be damaged; the journalist can send it again.
lookup-reply-delete = Delete this reply
lookup-replies-delete-all = Delete all replies
reply-deleted = Reply deleted.
replies-deleted = All replies deleted.
lookup-uploads-disabled = File uploads are turned off on this service: you can send messages only.

## Submit results
submit-thanks-first = Thank you for sending this information to us. Please check back later for replies.
submit-thanks = Thanks! We received your { $what ->
    [message] message
    [file] file
    [files] files
    [message-file] message and file
   *[message-files] message and files
}.
submit-empty = You must enter a message or choose a file to submit.
submit-too-long = Message text too long: a message may have at most { $max } characters. Large blocks of text must be uploaded as a file, not copied and pasted.
submit-too-short = Your first message must be at least { $min } characters long.
submit-codename = Please do not submit your codename!
submit-malformed = Your submission could not be read. Please try again.
submit-too-many-files = You can send at most { $max } files at a time. Please submit the rest separately.

## What the optional photo cleaning did (one notice per file)
scrub-removed = { $file }: we removed hidden information before encrypting it: { $what }.
scrub-nothing-found = { $file }: we found no hidden photo information to remove.
scrub-not-a-photo = { $file } was sent as it was: we can only remove hidden information from JPEG, PNG and WebP photos. Documents such as PDF or Office files can contain names, dates and the name of your computer; if that matters, remove it before sending them (for example with Metadata Cleaner in Tails).
scrub-photo-not-supported = { $file } was sent as it was: we cannot remove hidden information from this kind of photo (HEIC, TIFF or GIF) yet. If that matters, send a screenshot of it instead.
scrub-not-sent-damaged = { $file } was NOT sent: it looks like a photo, but part of it could not be read, so we could not be sure to remove its hidden information. Send a screenshot of it instead, or untick "Remove hidden photo information" to send it exactly as it is.
scrub-not-sent-too-large = { $file } was NOT sent: WebP photos over 16 MB cannot be cleaned here. Send it as a JPEG or a screenshot instead, or untick "Remove hidden photo information" to send it exactly as it is.
scrub-not-sent-busy = { $file } was NOT sent: the server is busy cleaning other large WebP photos. Please try again in a few minutes, or send it as a JPEG.
scrub-category-location = location (GPS coordinates or place names)
scrub-category-device = camera or device details (make, model, serial numbers)
scrub-category-people = names of people (owner, author, editor)
scrub-category-times = dates and times
scrub-category-software = software and editing history
scrub-category-thumbnail = small preview images (which can show parts you cropped out)
scrub-category-xmp = XMP metadata
scrub-category-iptc = captions, credits and places (IPTC)
scrub-category-colour-profile = colour profile
scrub-category-comments = comments
scrub-category-trailing-data = hidden data after the end of the picture
scrub-category-document-ids = identifiers that link copies of the file
scrub-category-earlier-revisions = earlier versions of the file
scrub-category-tracked-changes = tracked changes and their authors
scrub-category-edit-sessions = editing-session identifiers
scrub-category-custom-properties = custom properties
scrub-category-embedded-content = embedded files or links
scrub-category-other = other information not needed to show the picture

## Logout
logout-heading = You are logged out
logout-body = Thank you for exiting your session! Click the "New Identity" button (the broom icon) in Tor Browser's toolbar to clear all history of your visit.
logout-again = Back to the front page

## Session notices
session-expired = You were logged out due to inactivity or a problem with your session. Click the "New Identity" button in Tor Browser's toolbar before moving on, to clear your history.
session-temporary-problem = There was a temporary problem creating your account. Please try again.

## Errors
error-heading = Something went wrong
error-not-found-heading = Page not found
error-not-found = We could not find the page you asked for.
error-bad-request = Your request could not be understood.
error-method = That kind of request is not allowed here.
error-forbidden = Your request was refused.
error-server = Something went wrong on our side. Please try again later; nothing you sent was stored half-way.
error-not-stored = Your submission could not be stored right now, so nothing of it was kept. Please try again later.
error-busy = The service is busy. Please wait a minute and try again.
error-too-many-accounts = This service cannot create new accounts at the moment. Please try again in a few hours; your codename on the previous page still works for a new try from there.
error-uploads-at-once = You are already sending two submissions. Please wait until they are done, then send this one again; nothing of it was stored.
error-too-slow = Your submission arrived too slowly and was stopped, so nothing of it was stored. Please try again; if it happens again, choose "New Tor circuit for this site" in the Tor Browser menu first.
error-too-large-heading = Upload too large
error-too-large = Your submission was larger than the { $size } this service accepts in total, so nothing was stored. Please send fewer or smaller files at a time: you can submit several times.
error-back = Back

## Offline
offline-heading = We're sorry, this service is offline
offline-body = The submission system is temporarily unavailable. Please try again later.

## Tor
tor2web-heading = Proxy service detected
tor2web-body = You appear to be using a proxy service (such as Tor2Web) to reach this site. Your connection is not anonymous right now! Please use Tor Browser to reach this service directly.
tor2web-address = Our onion service address is:
use-tor-heading = You should use Tor Browser
use-tor-body = To protect your identity, use Tor Browser with its security level set to "Safest" to reach this service. Download it only from the Tor Project's own website.

## Public key
why-key-heading = Why download our public key?
why-key-body = If you are comfortable with OpenPGP, you can encrypt files to our public key before you upload them, so that only our offline viewing station can read them. This is optional: everything you send is encrypted to this key as soon as it arrives.
why-key-download = Download our public key
why-key-fingerprint = Its fingerprint is:

misdirected-heading = Wrong address
misdirected-body = This server does not answer to the name your browser used. Use the onion address the news organization published.
